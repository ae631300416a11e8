import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flushMicrotasks, VirtualClock } from '../src/clock.js';
import { boundedChannel, unboundedChannel } from '../src/channels/channel.js';
import { fanIn, fanInAsync, selectFanIn } from '../src/channels/fan.js';
import { ErrorCodes } from '../src/result/error.js';
import { ok } from '../src/result/result.js';

describe('selectFanIn', () => {
  test('drains every reader until all complete', async () => {
    const a = unboundedChannel<number>();
    const b = unboundedChannel<number>();
    const seen: number[] = [];
    const running = selectFanIn([a, b], (v) => {
      seen.push(v);
      return ok();
    });
    a.tryWrite(1);
    b.tryWrite(2);
    a.complete();
    await flushMicrotasks();
    b.tryWrite(3);
    b.complete();
    assert.deepEqual(await running, { ok: true, value: undefined });
    assert.deepEqual(
      seen.sort((x, y) => x - y),
      [1, 2, 3],
    );
  });

  test('is not fair: the first listed reader wins while it has values', async () => {
    const a = unboundedChannel<string>();
    const b = unboundedChannel<string>();
    for (const v of ['a1', 'a2']) a.tryWrite(v);
    b.tryWrite('b1');
    a.complete();
    b.complete();
    const seen: string[] = [];
    await selectFanIn([a, b], (v) => {
      seen.push(v);
    });
    assert.deepEqual(seen, ['a1', 'a2', 'b1']);
  });

  test('stops at the first handler failure', async () => {
    const a = unboundedChannel<number>();
    for (const v of [1, 2, 3]) a.tryWrite(v);
    const r = await selectFanIn([a], (v) => {
      if (v === 2) throw new Error('bad value');
    });
    assert.equal(r.error?.code, ErrorCodes.Exception);
    assert.equal(a.count, 1);
  });

  test('one deadline covers the whole session', async () => {
    const clock = new VirtualClock();
    const a = unboundedChannel<number>();
    const running = selectFanIn([a], () => {}, { timeoutMs: 100, clock });
    await clock.advance(60);
    a.tryWrite(1);
    await clock.advance(39);
    a.tryWrite(2);
    await clock.advance(1);
    const r = await running;
    assert.equal(r.error?.code, ErrorCodes.Timeout);
    assert.equal(r.error?.metadata.get('duration'), 100);
  });

  test('an empty reader list succeeds at once', async () => {
    assert.equal((await selectFanIn<number>([], () => {})).ok, true);
  });
});

describe('fanInAsync and fanIn', () => {
  test('copies all values and completes the destination', async () => {
    const a = unboundedChannel<number>();
    const b = unboundedChannel<number>();
    const dest = unboundedChannel<number>();
    const running = fanInAsync([a, b], dest);
    for (const v of [1, 2]) a.tryWrite(v);
    b.tryWrite(3);
    a.complete();
    b.complete();
    assert.equal((await running).ok, true);
    assert.equal(dest.isCompleted, true);
    const out: number[] = [];
    for await (const v of dest) out.push(v);
    assert.deepEqual(
      out.sort((x, y) => x - y),
      [1, 2, 3],
    );
  });

  test('leaves the destination open when asked to', async () => {
    const a = unboundedChannel<number>();
    a.complete();
    const dest = unboundedChannel<number>();
    await fanInAsync([a], dest, { completeDestination: false });
    assert.equal(dest.isCompleted, false);
  });

  test('a completed destination fails the fan-in with error.channel.completed', async () => {
    const a = unboundedChannel<number>();
    a.tryWrite(1);
    const dest = boundedChannel<number>(1);
    dest.complete();
    const r = await fanInAsync([a], dest);
    assert.equal(r.error?.code, ErrorCodes.ChannelCompleted);
  });

  test('a source fault faults the destination', async () => {
    const a = unboundedChannel<number>();
    a.complete(new Error('source fault'));
    const dest = unboundedChannel<number>();
    const r = await fanInAsync([a], dest);
    assert.equal(r.ok, false);
    await assert.rejects(dest.completion, /source fault/);
  });

  test('fanIn returns a reader that carries every value and then completes', async () => {
    const a = unboundedChannel<number>();
    const b = unboundedChannel<number>();
    const merged = fanIn([a, b]);
    a.tryWrite(1);
    b.tryWrite(2);
    a.complete();
    b.complete();
    const out: number[] = [];
    for await (const v of merged) out.push(v);
    assert.deepEqual(
      out.sort((x, y) => x - y),
      [1, 2],
    );
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VirtualClock } from '../src/clock.js';
import { boundedChannel, unboundedChannel } from '../src/channels/channel.js';
import { fanOut, fanOutAsync } from '../src/channels/fan.js';
import { ErrorCodes } from '../src/result/error.js';

async function collect<T>(reader: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of reader) out.push(v);
  return out;
}

describe('fanOutAsync', () => {
  test('broadcasts every item to every writer and completes them', async () => {
    const source = unboundedChannel<number>();
    for (const v of [1, 2, 3]) source.tryWrite(v);
    source.complete();
    const x = unboundedChannel<number>();
    const y = unboundedChannel<number>();
    assert.equal((await fanOutAsync(source, [x, y])).ok, true);
    assert.deepEqual(await collect(x), [1, 2, 3]);
    assert.deepEqual(await collect(y), [1, 2, 3]);
  });

  test('a closed writer fails with error.channel.completed and completes all writers', async () => {
    const source = unboundedChannel<number>();
    source.tryWrite(1);
    source.complete();
    const open = unboundedChannel<number>();
    const closed = unboundedChannel<number>();
    closed.complete();
    const r = await fanOutAsync(source, [open, closed]);
    assert.equal(r.error?.code, ErrorCodes.ChannelCompleted);
    assert.equal(open.isCompleted, true);
    await assert.rejects(collect(open));
  });

  test('the deadline applies to each item on the clock', async () => {
    const clock = new VirtualClock();
    const source = unboundedChannel<number>();
    for (const v of [1, 2]) source.tryWrite(v);
    source.complete();
    const slow = boundedChannel<number>(1);
    const running = fanOutAsync(source, [slow], { deadlineMs: 50, clock });
    await clock.advance(50);
    const r = await running;
    assert.equal(r.error?.code, ErrorCodes.Timeout);
    assert.equal(slow.isCompleted, true);
  });

  test('a slow writer within the deadline still gets every item', async () => {
    const clock = new VirtualClock();
    const source = unboundedChannel<number>();
    for (const v of [1, 2]) source.tryWrite(v);
    source.complete();
    const slow = boundedChannel<number>(1);
    const running = fanOutAsync(source, [slow], { deadlineMs: 50, clock });
    await clock.advance(30);
    assert.equal(await slow.read(), 1);
    assert.equal((await running).ok, true);
    assert.deepEqual(await collect(slow), [2]);
  });

  test('an abort gives error.canceled', async () => {
    const source = unboundedChannel<number>();
    const controller = new AbortController();
    const running = fanOutAsync(source, [unboundedChannel<number>()], { signal: controller.signal });
    controller.abort();
    assert.equal((await running).error?.code, ErrorCodes.Canceled);
  });

  test('no destinations is a no-op success', async () => {
    assert.equal((await fanOutAsync(unboundedChannel<number>(), [])).ok, true);
  });
});

describe('fanOut', () => {
  test('returns n readers that each see every item', async () => {
    const source = unboundedChannel<string>();
    const [a, b, c] = fanOut(source, 3);
    for (const v of ['x', 'y']) source.tryWrite(v);
    source.complete();
    assert.deepEqual(await collect(a!), ['x', 'y']);
    assert.deepEqual(await collect(b!), ['x', 'y']);
    assert.deepEqual(await collect(c!), ['x', 'y']);
  });

  test('rejects a non-positive branch count', () => {
    assert.throws(() => fanOut(unboundedChannel<number>(), 0), RangeError);
  });
});

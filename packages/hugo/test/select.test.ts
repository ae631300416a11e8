import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flushMicrotasks, VirtualClock } from '../src/clock.js';
import { unboundedChannel } from '../src/channels/channel.js';
import { channelCase, channelCases, defaultCase, select } from '../src/channels/select.js';
import { selectBuilder } from '../src/channels/select-builder.js';
import { ErrorCodes, HugoError } from '../src/result/error.js';
import { fail } from '../src/result/result.js';

describe('select: validation', () => {
  test('needs at least one case', () => {
    assert.throws(() => select([]), TypeError);
  });

  test('rejects a second default case', () => {
    assert.throws(
      () =>
        select([defaultCase(() => 1), defaultCase(() => 2)], {
          clock: new VirtualClock(),
        }),
      TypeError,
    );
  });

  test('rejects a negative timeout', () => {
    const ch = unboundedChannel<number>();
    assert.throws(() => select([channelCase(ch, (v) => v)], { timeoutMs: -1 }), RangeError);
  });
});

describe('select: probing ready cases', () => {
  test('the lowest priority number wins among ready cases', async () => {
    const a = unboundedChannel<string>();
    const b = unboundedChannel<string>();
    a.tryWrite('a');
    b.tryWrite('b');
    const r = await select([channelCase(a, (v) => v, 5), channelCase(b, (v) => v, 1)]);
    assert.deepEqual(r, { ok: true, value: 'b' });
    assert.equal(a.count, 1, 'the losing case keeps its value');
  });

  test('equal priorities are broken by declaration order', async () => {
    const a = unboundedChannel<string>();
    const b = unboundedChannel<string>();
    a.tryWrite('a');
    b.tryWrite('b');
    const r = await select([channelCase(b, (v) => v), channelCase(a, (v) => v)]);
    assert.deepEqual(r, { ok: true, value: 'b' });
    assert.equal(a.count, 1);
  });

  test('channelCases builds one case per reader, tie-broken by reader order', async () => {
    const a = unboundedChannel<string>();
    const b = unboundedChannel<string>();
    b.tryWrite('b');
    a.tryWrite('a');
    const r = await select(channelCases([b, a], (v) => v.toUpperCase()));
    assert.deepEqual(r, { ok: true, value: 'B' });
  });

  test('the default case runs only when nothing is ready', async () => {
    const a = unboundedChannel<string>();
    const r1 = await select([channelCase(a, (v) => v), defaultCase(() => 'default')]);
    assert.deepEqual(r1, { ok: true, value: 'default' });
    a.tryWrite('value');
    const r2 = await select([defaultCase(() => 'default'), channelCase(a, (v) => v)]);
    assert.deepEqual(r2, { ok: true, value: 'value' });
  });

  test('a default-only select runs the default', async () => {
    assert.deepEqual(await select([defaultCase(() => 3)]), { ok: true, value: 3 });
  });

  test('a handler returning a Result is passed through; a throw becomes error.exception', async () => {
    const a = unboundedChannel<number>();
    a.tryWrite(1);
    a.tryWrite(2);
    const failed = await select([channelCase(a, () => fail<number>(HugoError.from('nope', 'custom')))]);
    assert.equal(failed.ok, false);
    assert.equal(failed.error?.code, 'custom');
    const thrown = await select([
      channelCase(a, () => {
        throw new Error('handler blew up');
      }),
    ]);
    assert.equal(thrown.error?.code, ErrorCodes.Exception);
    assert.equal(thrown.error?.message, 'handler blew up');
  });
});

describe('select: waiting', () => {
  test('waits for the first value and consumes exactly one', async () => {
    const clock = new VirtualClock();
    const a = unboundedChannel<number>();
    const b = unboundedChannel<number>();
    const pending = select([channelCase(a, (v) => `a${v}`), channelCase(b, (v) => `b${v}`)], { clock });
    await flushMicrotasks();
    b.tryWrite(1);
    a.tryWrite(2);
    b.tryWrite(3);
    const r = await pending;
    assert.equal(r.ok, true);
    assert.equal(a.count + b.count, 2, 'only one value was consumed');
  });

  test('values that arrive together are chosen by priority after waking', async () => {
    const a = unboundedChannel<string>();
    const b = unboundedChannel<string>();
    const pending = select([channelCase(a, (v) => v, 2), channelCase(b, (v) => v, 0)]);
    await flushMicrotasks();
    a.tryWrite('a');
    b.tryWrite('b');
    assert.deepEqual(await pending, { ok: true, value: 'b' });
    assert.equal(a.count, 1);
  });

  test('times out on the virtual clock with error.timeout', async () => {
    const clock = new VirtualClock();
    const a = unboundedChannel<number>();
    const pending = select([channelCase(a, (v) => v)], { timeoutMs: 500, clock });
    await clock.advance(499);
    a.tryWrite(0);
    a.tryRead();
    await clock.advance(1);
    const r = await pending;
    assert.equal(r.error?.code, ErrorCodes.Timeout);
    assert.equal(clock.pendingTimers, 0);
    a.tryWrite(1);
    assert.equal(a.count, 1, 'a value written after the timeout is not taken');
  });

  test('an abort gives error.canceled and withdraws the waiters', async () => {
    const a = unboundedChannel<number>();
    const controller = new AbortController();
    const pending = select([channelCase(a, (v) => v)], { signal: controller.signal });
    await flushMicrotasks();
    controller.abort();
    assert.equal((await pending).error?.code, ErrorCodes.Canceled);
    a.tryWrite(1);
    assert.equal(a.count, 1);
  });

  test('a pre-aborted signal cancels even when a case is ready', async () => {
    const a = unboundedChannel<number>();
    a.tryWrite(1);
    const r = await select([channelCase(a, (v) => v)], { signal: AbortSignal.abort() });
    assert.equal(r.error?.code, ErrorCodes.Canceled);
    assert.equal(a.count, 1);
  });

  test('closed readers drop out; when all close the select is drained', async () => {
    const a = unboundedChannel<number>();
    const b = unboundedChannel<number>();
    const pending = select([channelCase(a, (v) => v), channelCase(b, (v) => v)]);
    await flushMicrotasks();
    a.complete();
    await flushMicrotasks();
    b.complete();
    assert.equal((await pending).error?.code, ErrorCodes.SelectDrained);
  });

  test('a closed reader drops out while another still delivers', async () => {
    const a = unboundedChannel<number>();
    const b = unboundedChannel<number>();
    a.complete();
    const pending = select([channelCase(a, (v) => v), channelCase(b, (v) => v * 10)]);
    await flushMicrotasks();
    b.tryWrite(4);
    assert.deepEqual(await pending, { ok: true, value: 40 });
  });

  test('a faulted reader fails the select with its fault', async () => {
    const a = unboundedChannel<number>();
    const pending = select([channelCase(a, (v) => v)]);
    await flushMicrotasks();
    a.complete(new Error('source broke'));
    const r = await pending;
    assert.equal(r.error?.code, ErrorCodes.Exception);
    assert.equal(r.error?.message, 'source broke');
  });

  test('two selects woken by one value: exactly one takes it, the other keeps waiting', async () => {
    const a = unboundedChannel<number>();
    const settled: number[] = [];
    const first = select([channelCase(a, (v) => v)]).then((r) => settled.push(r.value!));
    const second = select([channelCase(a, (v) => v)]).then((r) => settled.push(r.value!));
    await flushMicrotasks();
    a.tryWrite(1);
    await flushMicrotasks();
    assert.deepEqual(settled, [1]);
    assert.equal(a.count, 0);
    a.tryWrite(2);
    await Promise.all([first, second]);
    assert.deepEqual(settled, [1, 2]);
  });

  test('a value taken by another consumer first sends the select back to waiting', async () => {
    const a = unboundedChannel<number>();
    const pending = select([channelCase(a, (v) => v)]);
    await flushMicrotasks();
    a.tryWrite(1);
    a.tryRead();
    await flushMicrotasks();
    a.tryWrite(2);
    assert.deepEqual(await pending, { ok: true, value: 2 });
  });
});

describe('select builder', () => {
  test('cases, priorities and execute', async () => {
    const a = unboundedChannel<number>();
    const b = unboundedChannel<number>();
    a.tryWrite(1);
    b.tryWrite(2);
    const r = await selectBuilder<string>()
      .case(a, (v) => `a${v}`, 3)
      .case(b, (v) => `b${v}`, 1)
      .execute();
    assert.deepEqual(r, { ok: true, value: 'b2' });
  });

  test('a second default throws', () => {
    const builder = selectBuilder<number>().default(() => 1);
    assert.throws(() => builder.default(() => 2), TypeError);
  });

  test('a deadline case fires after its delay on the clock', async () => {
    const clock = new VirtualClock();
    const a = unboundedChannel<number>();
    const pending = selectBuilder<string>({ clock })
      .case(a, () => 'value')
      .deadline(100, () => 'deadline')
      .execute();
    await clock.advance(100);
    assert.deepEqual(await pending, { ok: true, value: 'deadline' });
  });

  test('a deadline timer is cancelled when another case wins', async () => {
    const clock = new VirtualClock();
    const a = unboundedChannel<number>();
    a.tryWrite(1);
    const r = await selectBuilder<string>({ clock })
      .case(a, () => 'value')
      .deadline(100, () => 'deadline')
      .execute();
    assert.deepEqual(r, { ok: true, value: 'value' });
    assert.equal(clock.pendingTimers, 0);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flushMicrotasks } from '../src/clock.js';
import { boundedChannel, Channel, makeChannel, unboundedChannel } from '../src/channels/channel.js';
import { PrioritizedChannel } from '../src/channels/prioritized.js';
import { ErrorCodes } from '../src/result/error.js';
import { ResultError } from '../src/result/result.js';

function isChannelCompleted(error: unknown): boolean {
  return error instanceof ResultError && error.error.code === ErrorCodes.ChannelCompleted;
}

async function settledState(promise: Promise<unknown>): Promise<'pending' | 'fulfilled' | 'rejected'> {
  let state: 'pending' | 'fulfilled' | 'rejected' = 'pending';
  promise.then(
    () => {
      state = 'fulfilled';
    },
    () => {
      state = 'rejected';
    },
  );
  await flushMicrotasks();
  return state;
}

describe('Channel basics', () => {
  test('makeChannel is bounded for a positive capacity and unbounded otherwise', () => {
    assert.equal(makeChannel<number>(4).capacity, 4);
    assert.equal(makeChannel<number>(0).capacity, Number.POSITIVE_INFINITY);
    assert.equal(makeChannel<number>().capacity, Number.POSITIVE_INFINITY);
    assert.throws(() => boundedChannel(0), RangeError);
    assert.throws(() => new Channel({ capacity: 1.5 }), RangeError);
  });

  test('values come out in the order they went in', async () => {
    const ch = unboundedChannel<number>();
    for (let i = 0; i < 5; i++) assert.equal(ch.tryWrite(i), true);
    const out: number[] = [];
    for (let i = 0; i < 5; i++) out.push(await ch.read());
    assert.deepEqual(out, [0, 1, 2, 3, 4]);
    assert.deepEqual(ch.tryRead(), { ok: false });
  });

  test('a read waits for a write and takes the value directly', async () => {
    const ch = unboundedChannel<string>();
    const reading = ch.read();
    assert.equal(await settledState(reading), 'pending');
    await ch.write('x');
    assert.equal(await reading, 'x');
    assert.equal(ch.count, 0);
  });

  test('waiting readers are served first come, first served', async () => {
    const ch = unboundedChannel<number>();
    const a = ch.read();
    const b = ch.read();
    ch.tryWrite(1);
    ch.tryWrite(2);
    assert.deepEqual(await Promise.all([a, b]), [1, 2]);
  });

  test('waitToRead does not consume the value', async () => {
    const ch = unboundedChannel<number>();
    const waiting = ch.waitToRead();
    ch.tryWrite(7);
    assert.equal(await waiting, true);
    assert.equal(ch.canRead(), true);
    assert.deepEqual(ch.tryRead(), { ok: true, value: 7 });
  });

  test('an aborted read leaves the line and loses no value', async () => {
    const ch = unboundedChannel<number>();
    const controller = new AbortController();
    const aborted = ch.read(controller.signal);
    controller.abort(new Error('stop'));
    await assert.rejects(aborted, /stop/);
    ch.tryWrite(1);
    assert.equal(await ch.read(), 1);
  });

  test('a pre-aborted signal rejects read, write and waits at once', async () => {
    const ch = unboundedChannel<number>();
    const signal = AbortSignal.abort();
    await assert.rejects(ch.read(signal), { name: 'AbortError' });
    await assert.rejects(ch.write(1, signal), { name: 'AbortError' });
    await assert.rejects(ch.waitToRead(signal), { name: 'AbortError' });
    await assert.rejects(ch.waitToWrite(signal), { name: 'AbortError' });
  });
});

describe('Channel completion', () => {
  test('writing to a completed channel fails with error.channel.completed', async () => {
    const ch = unboundedChannel<number>();
    ch.complete();
    assert.equal(ch.tryWrite(1), false);
    await assert.rejects(ch.write(1), isChannelCompleted);
    assert.throws(() => ch.complete(), isChannelCompleted);
    assert.equal(ch.tryComplete(), false);
  });

  test('buffered values are still read after completion, then reads fail and waitToRead is false', async () => {
    const ch = unboundedChannel<number>();
    ch.tryWrite(1);
    ch.complete();
    assert.equal(ch.isDrained, false);
    assert.equal(await ch.read(), 1);
    assert.equal(ch.isDrained, true);
    await ch.completion;
    assert.equal(await ch.waitToRead(), false);
    await assert.rejects(ch.read(), isChannelCompleted);
  });

  test('completion wakes waiting readers', async () => {
    const ch = unboundedChannel<number>();
    const reading = ch.read();
    const waiting = ch.waitToRead();
    ch.complete();
    await assert.rejects(reading, isChannelCompleted);
    assert.equal(await waiting, false);
  });

  test('a fault reaches readers after the buffered values and rejects completion', async () => {
    const ch = unboundedChannel<number>();
    ch.tryWrite(1);
    ch.complete(new Error('boom'));
    assert.equal(await ch.read(), 1);
    await assert.rejects(ch.read(), /boom/);
    await assert.rejects(ch.waitToRead(), /boom/);
    await assert.rejects(ch.completion, /boom/);
  });

  test('async iteration yields every value and ends at completion', async () => {
    const ch = unboundedChannel<number>();
    for (const v of [1, 2, 3]) ch.tryWrite(v);
    ch.complete();
    const out: number[] = [];
    for await (const v of ch) out.push(v);
    assert.deepEqual(out, [1, 2, 3]);
  });
});

describe('Bounded channel full modes', () => {
  test('wait: a write into a full channel waits for a read', async () => {
    const ch = boundedChannel<number>(1);
    await ch.write(1);
    assert.equal(ch.tryWrite(2), false);
    const writing = ch.write(2);
    assert.equal(await settledState(writing), 'pending');
    assert.equal(await ch.read(), 1);
    await writing;
    assert.equal(await ch.read(), 2);
  });

  test('wait: waitToWrite resolves when room appears and false after completion', async () => {
    const ch = boundedChannel<number>(1);
    ch.tryWrite(1);
    const room = ch.waitToWrite();
    assert.equal(await settledState(room), 'pending');
    ch.tryRead();
    assert.equal(await room, true);
    ch.tryWrite(2);
    const never = ch.waitToWrite();
    ch.complete();
    assert.equal(await never, false);
  });

  test('wait: completing rejects blocked writers', async () => {
    const ch = boundedChannel<number>(1);
    ch.tryWrite(1);
    const blocked = ch.write(2);
    ch.complete();
    await assert.rejects(blocked, isChannelCompleted);
    assert.deepEqual([...(await collect(ch))], [1]);
  });

  test('wait: an aborted blocked write is withdrawn', async () => {
    const ch = boundedChannel<number>(1);
    ch.tryWrite(1);
    const controller = new AbortController();
    const blocked = ch.write(2, controller.signal);
    controller.abort();
    await assert.rejects(blocked, { name: 'AbortError' });
    ch.complete();
    assert.deepEqual(await collect(ch), [1]);
  });

  test('dropOldest keeps the newest values', async () => {
    const dropped: number[] = [];
    const ch = boundedChannel<number>(2, { fullMode: 'dropOldest', onDropped: (v) => dropped.push(v) });
    for (const v of [1, 2, 3, 4]) assert.equal(ch.tryWrite(v), true);
    ch.complete();
    assert.deepEqual(await collect(ch), [3, 4]);
    assert.deepEqual(dropped, [1, 2]);
  });

  test('dropNewest replaces the newest buffered value', async () => {
    const ch = boundedChannel<number>(2, { fullMode: 'dropNewest' });
    for (const v of [1, 2, 3, 4]) ch.tryWrite(v);
    ch.complete();
    assert.deepEqual(await collect(ch), [1, 4]);
  });

  test('dropWrite discards the value being written', async () => {
    const ch = boundedChannel<number>(2, { fullMode: 'dropWrite' });
    for (const v of [1, 2, 3, 4]) ch.tryWrite(v);
    ch.complete();
    assert.deepEqual(await collect(ch), [1, 2]);
  });
});

describe('PrioritizedChannel', () => {
  test('defaults: three levels, default priority is the lowest', () => {
    const ch = new PrioritizedChannel<number>();
    assert.equal(ch.priorityLevels, 3);
    assert.equal(ch.defaultPriority, 2);
    assert.throws(() => new PrioritizedChannel({ priorityLevels: 0 }), RangeError);
    assert.throws(() => new PrioritizedChannel({ priorityLevels: 2, defaultPriority: 2 }), RangeError);
  });

  test('the reader drains lane 0 first, then 1, then 2', async () => {
    const ch = new PrioritizedChannel<string>();
    ch.tryWrite('low-1');
    ch.tryWrite('mid', 1);
    ch.tryWrite('high', 0);
    ch.tryWrite('low-2', 2);
    ch.complete();
    assert.deepEqual(await collect(ch), ['high', 'mid', 'low-1', 'low-2']);
    await ch.completion;
  });

  test('an out-of-range priority throws', async () => {
    const ch = new PrioritizedChannel<number>();
    assert.throws(() => ch.tryWrite(1, 3), RangeError);
    assert.throws(() => ch.tryWrite(1, -1), RangeError);
    assert.throws(() => ch.write(1, 5), RangeError);
  });

  test('a waiting reader is woken by a write to any lane', async () => {
    const ch = new PrioritizedChannel<number>();
    const reading = ch.read();
    assert.equal(await settledState(reading), 'pending');
    await ch.write(9, 1);
    assert.equal(await reading, 9);
  });

  test('capacityPerLevel bounds each lane separately', async () => {
    const ch = new PrioritizedChannel<number>({ capacityPerLevel: 1 });
    assert.equal(ch.tryWrite(1, 0), true);
    assert.equal(ch.tryWrite(2, 0), false);
    assert.equal(ch.tryWrite(3, 1), true);
    assert.equal(ch.countAt(0), 1);
    assert.equal(ch.count, 2);
  });

  test('completion fires once every lane is drained', async () => {
    const ch = new PrioritizedChannel<number>();
    ch.tryWrite(1, 2);
    ch.complete();
    assert.equal(await settledState(ch.completion), 'pending');
    assert.equal(await ch.read(), 1);
    await ch.completion;
    assert.equal(await ch.waitToRead(), false);
    await assert.rejects(ch.read(), isChannelCompleted);
  });

  test('a lane fault reaches the reader after the buffered values', async () => {
    const ch = new PrioritizedChannel<number>();
    ch.tryWrite(1, 0);
    ch.complete(new Error('lane failed'));
    assert.equal(await ch.read(), 1);
    await assert.rejects(ch.read(), /lane failed/);
    await assert.rejects(ch.completion, /lane failed/);
  });
});

async function collect<T>(reader: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of reader) out.push(v);
  return out;
}

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flushMicrotasks, VirtualClock } from '../src/clock.js';
import { Channel } from '../src/channels/channel.js';
import { channelCase, select } from '../src/channels/select.js';
import { ErrorCodes } from '../src/result/error.js';
import { TaskQueueChannelAdapter } from '../src/taskqueue/adapter.js';
import type { TaskQueueLease } from '../src/taskqueue/lease.js';
import { TaskQueue } from '../src/taskqueue/task-queue.js';

function makeQueue(clock = new VirtualClock(0), options = {}) {
  return new TaskQueue<string>({ leaseDurationMs: 1_000, leaseSweepIntervalMs: 100, ...options }, { clock });
}

describe('TaskQueueChannelAdapter', () => {
  test('pumps leases into the reader', async () => {
    const queue = makeQueue();
    const adapter = TaskQueueChannelAdapter.create(queue);
    await queue.enqueue('a');
    await queue.enqueue('b');
    const first = await adapter.reader.read();
    assert.equal(first.value, 'a');
    await first.complete();
    const second = await adapter.reader.read();
    assert.equal(second.value, 'b');
    await second.complete();
    await adapter.dispose();
    await queue.dispose();
  });

  test('never holds more than `concurrency` unread leases', async () => {
    const queue = makeQueue();
    const adapter = TaskQueueChannelAdapter.create(queue, { concurrency: 2 });
    for (const v of ['a', 'b', 'c', 'd']) await queue.enqueue(v);
    await flushMicrotasks();
    assert.equal(queue.activeLeaseCount, 2);
    assert.equal(queue.pendingCount, 2);
    assert.equal(adapter.reader.count, 2);
    const read = await adapter.reader.read();
    await flushMicrotasks();
    assert.equal(queue.activeLeaseCount, 3, 'reading one lease lets one more through');
    assert.equal(adapter.reader.count, 2);
    await read.complete();
    await adapter.dispose();
    await queue.dispose();
  });

  test('pumps racing for a small channel wait for room instead of failing', async () => {
    const queue = makeQueue();
    const channel = new Channel<TaskQueueLease<string>>({ capacity: 1 });
    const adapter = TaskQueueChannelAdapter.create(queue, { channel, concurrency: 3 });
    const values = ['a', 'b', 'c', 'd', 'e'];
    for (const v of values) await queue.enqueue(v);
    const seen: [string, number][] = [];
    for (let i = 0; i < values.length; i++) {
      const lease = await adapter.reader.read();
      seen.push([lease.value, lease.attempt]);
      await lease.complete();
    }
    assert.deepEqual(
      seen,
      values.map((v) => [v, 1]),
    );
    await adapter.dispose();
    await queue.dispose();
  });

  test('works as a select case', async () => {
    const queue = makeQueue();
    const adapter = TaskQueueChannelAdapter.create(queue);
    const selecting = select([channelCase(adapter.reader, (lease: TaskQueueLease<string>) => lease)]);
    await queue.enqueue('job');
    const r = await selecting;
    assert.ok(r.ok);
    assert.equal(r.value.value, 'job');
    await r.value.complete();
    await adapter.dispose();
    await queue.dispose();
  });

  test('an undeliverable lease goes back to the queue, spending one attempt', async () => {
    const queue = makeQueue();
    const channel = new Channel<TaskQueueLease<string>>();
    const adapter = TaskQueueChannelAdapter.create(queue, { channel });
    await flushMicrotasks();
    // The pump is already waiting for a lease when the channel stops taking writes.
    channel.complete();
    await queue.enqueue('job');
    await flushMicrotasks();
    assert.equal(queue.pendingCount, 1);
    assert.equal(queue.activeLeaseCount, 0);
    await adapter.dispose();
    const lease = await queue.lease();
    assert.equal(lease.attempt, 2);
    assert.equal(lease.lastError?.code, ErrorCodes.Canceled);
    await queue.dispose();
  });

  test('dispose stops the pumps, completes the reader and leaves a queue it does not own', async () => {
    const queue = makeQueue();
    const adapter = TaskQueueChannelAdapter.create(queue, { concurrency: 3 });
    await adapter.dispose();
    assert.equal(await adapter.reader.waitToRead(), false);
    assert.equal(queue.isDisposed, false);
    await queue.enqueue('still usable');
    assert.equal(queue.pendingCount, 1, 'no pump is leasing any more');
    await queue.dispose();
  });

  test('dispose disposes an owned queue', async () => {
    const queue = makeQueue();
    const adapter = TaskQueueChannelAdapter.create(queue, { ownsQueue: true });
    await adapter.dispose();
    assert.equal(queue.isDisposed, true);
  });

  test('a disposed queue completes the reader normally', async () => {
    const queue = makeQueue();
    const adapter = TaskQueueChannelAdapter.create(queue);
    await flushMicrotasks();
    await queue.dispose();
    assert.equal(await adapter.reader.waitToRead(), false);
    await adapter.reader.completion;
    await adapter.dispose();
  });

  test('leases buffered but unread expire and come back with the next attempt', async () => {
    const clock = new VirtualClock(0);
    const queue = makeQueue(clock);
    const adapter = TaskQueueChannelAdapter.create(queue);
    await queue.enqueue('job');
    await flushMicrotasks();
    await adapter.dispose();
    await clock.advance(1_000);
    const lease = await queue.lease();
    assert.equal(lease.attempt, 2);
    assert.equal(lease.lastError?.code, ErrorCodes.TaskQueueLeaseExpired);
    await queue.dispose();
  });

  test('rejects a non-positive concurrency', () => {
    assert.throws(() => TaskQueueChannelAdapter.create(makeQueue(), { concurrency: 0 }), RangeError);
  });
});

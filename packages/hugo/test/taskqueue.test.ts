import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flushMicrotasks, VirtualClock } from '../src/clock.js';
import { ErrorCodes, HugoError } from '../src/result/error.js';
import { ResultError } from '../src/result/result.js';
import { checkTaskQueueHealth, TaskQueueHealthDefaults } from '../src/taskqueue/health.js';
import { resolveTaskQueueOptions, TaskQueueDefaults } from '../src/taskqueue/options.js';
import { SafeTaskQueue } from '../src/taskqueue/safe.js';
import { InMemoryTaskQueueStore } from '../src/taskqueue/store.js';
import { TaskQueue, type TaskQueueDependencies } from '../src/taskqueue/task-queue.js';
import type { TaskQueueDeadLetterContext, TaskQueueLifecycleEvent } from '../src/taskqueue/types.js';
import type { TaskQueueOptions } from '../src/taskqueue/options.js';

function hasCode(code: string) {
  return (error: unknown) => error instanceof ResultError && error.error.code === code;
}

interface Harness<T> {
  clock: VirtualClock;
  queue: TaskQueue<T>;
  deadLetters: TaskQueueDeadLetterContext<T>[];
  events: TaskQueueLifecycleEvent<T>[];
}

function harness<T>(options: TaskQueueOptions = {}, deps: TaskQueueDependencies<T> = {}): Harness<T> {
  const clock = new VirtualClock(0);
  const deadLetters: TaskQueueDeadLetterContext<T>[] = [];
  let ids = 0;
  const queue = new TaskQueue<T>(options, {
    clock,
    newLeaseId: () => `lease-${++ids}`,
    deadLetter: (ctx) => {
      deadLetters.push(ctx);
    },
    ...deps,
  });
  const events: TaskQueueLifecycleEvent<T>[] = [];
  queue.registerLifecycleListener((e) => events.push(e));
  return { clock, queue, deadLetters, events };
}

const boom = HugoError.from('worker failed', 'test.failure');

describe('TaskQueue options', () => {
  test('defaults match Hugo', () => {
    const o = resolveTaskQueueOptions();
    assert.equal(o.capacity, 512);
    assert.equal(o.leaseDurationMs, 30_000);
    assert.equal(o.heartbeatIntervalMs, 5_000);
    assert.equal(o.leaseSweepIntervalMs, 1_000);
    assert.equal(o.requeueDelayMs, 0);
    assert.equal(o.maxDeliveryAttempts, 5);
    assert.equal(o.backpressure, undefined);
    assert.equal(TaskQueueDefaults.backpressureCooldownMs, 5_000);
  });

  test('invalid settings throw', () => {
    assert.throws(() => resolveTaskQueueOptions({ capacity: 0 }), RangeError);
    assert.throws(() => resolveTaskQueueOptions({ leaseDurationMs: 0 }), RangeError);
    assert.throws(() => resolveTaskQueueOptions({ heartbeatIntervalMs: -1 }), RangeError);
    assert.throws(() => resolveTaskQueueOptions({ leaseSweepIntervalMs: 0 }), RangeError);
    assert.throws(() => resolveTaskQueueOptions({ requeueDelayMs: -1 }), RangeError);
    assert.throws(() => resolveTaskQueueOptions({ maxDeliveryAttempts: 0 }), RangeError);
    assert.equal(resolveTaskQueueOptions({ heartbeatIntervalMs: 0 }).heartbeatIntervalMs, 0);
  });

  test('backpressure low watermark defaults to half the high one', () => {
    assert.equal(resolveTaskQueueOptions({ backpressure: { highWatermark: 10 } }).backpressure?.low, 5);
    assert.equal(
      resolveTaskQueueOptions({ backpressure: { highWatermark: 10, lowWatermark: 12 } }).backpressure?.low,
      5,
    );
    assert.equal(
      resolveTaskQueueOptions({ backpressure: { highWatermark: 10, lowWatermark: 3 } }).backpressure?.low,
      3,
    );
    assert.equal(resolveTaskQueueOptions({ backpressure: { highWatermark: 1 } }).backpressure?.low, 1);
    assert.equal(resolveTaskQueueOptions({ backpressure: { highWatermark: -1 } }).backpressure, undefined);
  });
});

describe('TaskQueue enqueue and lease', () => {
  test('leases in FIFO order with attempt 1 and sequence ids', async () => {
    const { queue } = harness<string>();
    await queue.enqueue('a');
    await queue.enqueue('b');
    assert.equal(queue.pendingCount, 2);
    const first = await queue.lease();
    const second = await queue.lease();
    assert.equal(first.value, 'a');
    assert.equal(first.attempt, 1);
    assert.equal(first.sequenceId, 1);
    assert.equal(second.sequenceId, 2);
    assert.deepEqual(first.ownershipToken, { sequenceId: 1, attempt: 1, leaseId: 'lease-1' });
    assert.equal(queue.activeLeaseCount, 2);
    assert.equal(queue.pendingCount, 0);
    await queue.dispose();
  });

  test('lease waits while empty, FIFO among waiters', async () => {
    const { queue } = harness<string>();
    const w1 = queue.lease();
    const w2 = queue.lease();
    await queue.enqueue('x');
    await queue.enqueue('y');
    assert.equal((await w1).value, 'x');
    assert.equal((await w2).value, 'y');
    await queue.dispose();
  });

  test('an aborted lease wait leaves the line and loses nothing', async () => {
    const { queue } = harness<string>();
    const controller = new AbortController();
    const aborted = queue.lease(controller.signal);
    controller.abort();
    await assert.rejects(aborted, { name: 'AbortError' });
    await queue.enqueue('kept');
    assert.equal(queue.pendingCount, 1);
    assert.equal((await queue.lease()).value, 'kept');
    await queue.dispose();
  });

  test('enqueue waits while the queue is full', async () => {
    const { queue } = harness<number>({ capacity: 1 });
    await queue.enqueue(1);
    let admitted = false;
    const blocked = queue.enqueue(2).then(() => {
      admitted = true;
    });
    await flushMicrotasks();
    assert.equal(admitted, false);
    await queue.lease();
    await blocked;
    assert.equal(queue.pendingCount, 1);
    const controller = new AbortController();
    const aborted = queue.enqueue(3, controller.signal);
    controller.abort();
    await assert.rejects(aborted, { name: 'AbortError' });
    assert.equal(queue.pendingCount, 1);
    // The withdrawn enqueuer gave up its place in line: the next one gets the freed slot, and 3 never enters.
    const next = queue.enqueue(4);
    assert.equal((await queue.lease()).value, 2);
    await next;
    assert.equal((await queue.lease()).value, 4);
    assert.equal(queue.pendingCount, 0);
    await queue.dispose();
  });
});

describe('TaskQueue lease outcomes', () => {
  test('complete removes the item; any later call is lease_inactive', async () => {
    const { queue, events } = harness<string>();
    await queue.enqueue('job');
    const lease = await queue.lease();
    await lease.complete();
    assert.equal(queue.activeLeaseCount, 0);
    await assert.rejects(lease.complete(), hasCode(ErrorCodes.TaskQueueLeaseInactive));
    await assert.rejects(lease.heartbeat(), hasCode(ErrorCodes.TaskQueueLeaseInactive));
    await assert.rejects(lease.fail(boom), hasCode(ErrorCodes.TaskQueueLeaseInactive));
    assert.deepEqual(
      events.map((e) => e.kind),
      ['Enqueued', 'LeaseGranted', 'Completed'],
    );
    await queue.dispose();
  });

  test('fail requeues at the tail with attempt + 1 and the last error', async () => {
    const { queue, events } = harness<string>();
    await queue.enqueue('first');
    await queue.enqueue('second');
    const lease = await queue.lease();
    await lease.fail(boom);
    const next = await queue.lease();
    assert.equal(next.value, 'second', 'the failed item went to the tail');
    const again = await queue.lease();
    assert.equal(again.value, 'first');
    assert.equal(again.attempt, 2);
    assert.equal(again.lastError, boom);
    assert.equal(again.sequenceId, lease.sequenceId);
    assert.equal(again.ownershipToken.attempt, 2);
    assert.notEqual(again.ownershipToken.leaseId, lease.ownershipToken.leaseId);
    const requeued = events.find((e) => e.kind === 'Requeued');
    assert.equal(requeued?.attempt, 2);
    assert.equal(requeued?.error, boom);
    assert.deepEqual(requeued?.ownershipToken, lease.ownershipToken);
    await queue.dispose();
  });

  test('fail with requeue false dead-letters with the full context', async () => {
    const { queue, deadLetters, events } = harness<string>();
    await queue.enqueue('poison');
    const lease = await queue.lease();
    await lease.fail(boom, false);
    assert.equal(deadLetters.length, 1);
    const ctx = deadLetters[0]!;
    assert.equal(ctx.value, 'poison');
    assert.equal(ctx.error, boom);
    assert.equal(ctx.attempt, 1);
    assert.equal(ctx.enqueuedAt, 0);
    assert.equal(ctx.sequenceId, 1);
    assert.deepEqual(ctx.lastOwnershipToken, lease.ownershipToken);
    assert.equal(queue.pendingCount, 0);
    assert.deepEqual(events.at(-1)?.flags, ['deadLetter']);
    await queue.dispose();
  });

  test('maxDeliveryAttempts counts total deliveries', async () => {
    const { queue, deadLetters } = harness<string>({ maxDeliveryAttempts: 2 });
    await queue.enqueue('job');
    await (await queue.lease()).fail(boom);
    const second = await queue.lease();
    assert.equal(second.attempt, 2);
    await second.fail(boom);
    assert.equal(deadLetters.length, 1);
    assert.equal(deadLetters[0]?.attempt, 2);
    assert.equal(queue.pendingCount, 0);
    await queue.dispose();
  });

  test('a throwing dead-letter handler rejects fail()', async () => {
    const { queue } = harness<string>(
      {},
      {
        deadLetter: () => {
          throw new Error('sink down');
        },
      },
    );
    await queue.enqueue('job');
    await assert.rejects((await queue.lease()).fail(boom, false), /sink down/);
    await queue.dispose();
  });

  test('a failure needs an error', async () => {
    const { queue } = harness<string>();
    await queue.enqueue('job');
    const lease = await queue.lease();
    await assert.rejects(lease.fail(undefined as unknown as HugoError), TypeError);
    await lease.complete();
    await queue.dispose();
  });
});

describe('TaskQueue heartbeats and expiry', () => {
  test('a heartbeat within the interval is a silent no-op', async () => {
    const { queue, clock, events } = harness<string>({ leaseDurationMs: 10_000, heartbeatIntervalMs: 5_000 });
    await queue.enqueue('job');
    const lease = await queue.lease();
    const initial = lease.expiresAt;
    await clock.advance(4_999);
    await lease.heartbeat();
    assert.equal(lease.expiresAt, initial);
    assert.equal(events.filter((e) => e.kind === 'Heartbeat').length, 0);
    await clock.advance(1);
    await lease.heartbeat();
    assert.equal(lease.expiresAt, 15_000);
    assert.equal(events.filter((e) => e.kind === 'Heartbeat').length, 1);
    await queue.dispose();
  });

  test('a heartbeat interval of zero extends on every heartbeat', async () => {
    const { queue, clock } = harness<string>({ leaseDurationMs: 1_000, heartbeatIntervalMs: 0 });
    await queue.enqueue('job');
    const lease = await queue.lease();
    await clock.advance(10);
    await lease.heartbeat();
    assert.equal(lease.expiresAt, 1_010);
    await queue.dispose();
  });

  test('heartbeats keep a lease alive past its original duration', async () => {
    const { queue, clock } = harness<string>({ leaseDurationMs: 1_000, heartbeatIntervalMs: 100 });
    await queue.enqueue('job');
    const lease = await queue.lease();
    for (let i = 0; i < 5; i++) {
      await clock.advance(500);
      await lease.heartbeat();
    }
    assert.equal(queue.activeLeaseCount, 1);
    await lease.complete();
    await queue.dispose();
  });

  test('the sweep requeues an expired lease with error.taskqueue.lease_expired', async () => {
    const { queue, clock, events } = harness<string>({ leaseDurationMs: 1_000, leaseSweepIntervalMs: 250 });
    await queue.enqueue('job');
    const lease = await queue.lease();
    await clock.advance(999);
    assert.equal(queue.activeLeaseCount, 1);
    await clock.advance(1);
    assert.equal(queue.activeLeaseCount, 0);
    assert.equal(queue.pendingCount, 1);
    await assert.rejects(lease.complete(), hasCode(ErrorCodes.TaskQueueLeaseInactive));
    const again = await queue.lease();
    assert.equal(again.attempt, 2);
    assert.equal(again.lastError?.code, ErrorCodes.TaskQueueLeaseExpired);
    assert.equal(again.lastError?.metadata.get('attempt'), 1);
    assert.equal(again.lastError?.metadata.get('enqueuedAt'), 0);
    assert.equal(again.lastError?.metadata.get('expiredAt'), 1_000);
    const expired = events.find((e) => e.kind === 'Expired');
    assert.deepEqual(expired?.flags, ['fromExpiration']);
    await queue.dispose();
  });

  test('expiry on the last attempt dead-letters the item', async () => {
    const { queue, clock, deadLetters } = harness<string>({
      leaseDurationMs: 100,
      leaseSweepIntervalMs: 100,
      maxDeliveryAttempts: 1,
    });
    await queue.enqueue('job');
    await queue.lease();
    await clock.advance(100);
    assert.equal(deadLetters.length, 1);
    assert.equal(deadLetters[0]?.error.code, ErrorCodes.TaskQueueLeaseExpired);
    await queue.dispose();
  });

  test('the sweep survives a throwing dead-letter handler', async () => {
    const reported: unknown[] = [];
    const { queue, clock } = harness<string>(
      { leaseDurationMs: 100, leaseSweepIntervalMs: 100, maxDeliveryAttempts: 1 },
      {
        deadLetter: () => {
          throw new Error('sink down');
        },
        onBackgroundError: (e) => reported.push(e),
      },
    );
    await queue.enqueue('a');
    await queue.lease();
    await clock.advance(100);
    assert.equal(reported.length, 1);
    await queue.enqueue('b');
    await queue.lease();
    await clock.advance(100);
    assert.equal(reported.length, 2, 'the sweep ran again after the handler threw');
    await queue.dispose();
  });
});

describe('TaskQueue requeue delay', () => {
  test('a delayed requeue is scheduled on the clock and fail() returns at once', async () => {
    const { queue, clock } = harness<string>({ requeueDelayMs: 500 });
    await queue.enqueue('job');
    await (await queue.lease()).fail(boom);
    assert.equal(queue.pendingCount, 0);
    assert.equal(queue.delayedCount, 1);
    await clock.advance(499);
    assert.equal(queue.pendingCount, 0);
    await clock.advance(1);
    assert.equal(queue.pendingCount, 1);
    assert.equal((await queue.lease()).attempt, 2);
    await queue.dispose();
  });

  test('a waiting worker receives a delayed requeue when it becomes due', async () => {
    const { queue, clock } = harness<string>({ requeueDelayMs: 100 });
    await queue.enqueue('job');
    await (await queue.lease()).fail(boom);
    const waiting = queue.lease();
    await clock.advance(100);
    assert.equal((await waiting).attempt, 2);
    await queue.dispose();
  });

  test('dispose dead-letters items still waiting out their delay', async () => {
    const { queue, deadLetters, clock } = harness<string>({ requeueDelayMs: 1_000 });
    await queue.enqueue('job');
    await (await queue.lease()).fail(boom);
    await queue.dispose();
    assert.equal(deadLetters.length, 1);
    assert.equal(deadLetters[0]?.error, boom);
    assert.equal(clock.pendingTimers, 0);
  });
});

describe('TaskQueue drain, restore and dispose', () => {
  test('drain shuts the queue and returns pending items in order; restore puts them back', async () => {
    const { queue, events } = harness<string>();
    for (const v of ['a', 'b', 'c']) await queue.enqueue(v);
    const lease = await queue.lease();
    await lease.fail(boom);
    const drained = await queue.drain();
    assert.deepEqual(
      drained.map((d) => [d.value, d.attempt, d.sequenceId]),
      [
        ['b', 1, 2],
        ['c', 1, 3],
        ['a', 2, 1],
      ],
    );
    assert.equal(drained[2]?.lastError, boom);
    assert.deepEqual(drained[2]?.lastOwnershipToken, lease.ownershipToken);
    assert.equal(events.filter((e) => e.kind === 'Drained').length, 3);
    await assert.rejects(queue.enqueue('late'), hasCode(ErrorCodes.TaskQueueDisposed));
    await assert.rejects(queue.lease(), hasCode(ErrorCodes.TaskQueueDisposed));

    const { queue: next } = harness<string>();
    await next.restore(drained);
    const first = await next.lease();
    assert.equal(first.value, 'b');
    await next.enqueue('new');
    const all = [first, await next.lease(), await next.lease(), await next.lease()];
    assert.deepEqual(
      all.map((l) => l.value),
      ['b', 'c', 'a', 'new'],
    );
    assert.equal(all[2]?.attempt, 2);
    assert.equal(all[3]?.sequenceId, 4, 'restored sequence ids advance the counter');
    await next.dispose();
  });

  test('dispose dead-letters pending items and abandons active leases', async () => {
    const { queue, deadLetters } = harness<string>();
    await queue.enqueue('active');
    await queue.enqueue('pending');
    const lease = await queue.lease();
    const waiting = harness<string>().queue;
    await waiting.dispose();
    await queue.dispose();
    assert.deepEqual(
      deadLetters.map((d) => [d.value, d.error.code]),
      [['pending', ErrorCodes.TaskQueueDeadLettered]],
    );
    await assert.rejects(lease.complete(), hasCode(ErrorCodes.TaskQueueDisposed));
    await queue.dispose();
  });

  test('dispose rejects waiting workers and enqueuers', async () => {
    const { queue } = harness<string>({ capacity: 1 });
    const worker = harness<string>().queue;
    const waitingLease = worker.lease();
    await worker.dispose();
    await assert.rejects(waitingLease, hasCode(ErrorCodes.TaskQueueDisposed));
    await queue.enqueue('a');
    const blocked = queue.enqueue('b');
    await queue.dispose();
    await assert.rejects(blocked, hasCode(ErrorCodes.TaskQueueDisposed));
  });
});

describe('TaskQueue backpressure and events', () => {
  test('hysteresis between the watermarks, with state-change notifications', async () => {
    const changes: [boolean, number][] = [];
    const { queue } = harness<number>({
      backpressure: {
        highWatermark: 4,
        lowWatermark: 2,
        cooldownMs: 0,
        stateChanged: (s) => changes.push([s.isActive, s.pendingCount]),
      },
    });
    for (let i = 0; i < 4; i++) await queue.enqueue(i);
    assert.equal(queue.isBackpressureActive, true);
    await queue.lease();
    assert.equal(queue.isBackpressureActive, true, 'still above the low watermark');
    let drained = false;
    const draining = queue.waitForDraining().then(() => {
      drained = true;
    });
    await queue.lease();
    await draining;
    assert.equal(drained, true);
    assert.equal(queue.isBackpressureActive, false);
    assert.deepEqual(changes, [
      [true, 4],
      [false, 2],
    ]);
    await queue.dispose();
  });

  test('the cooldown suppresses notifications but not state changes', async () => {
    const changes: boolean[] = [];
    const { queue, clock } = harness<number>({
      backpressure: {
        highWatermark: 2,
        lowWatermark: 1,
        cooldownMs: 1_000,
        stateChanged: (s) => changes.push(s.isActive),
      },
    });
    await queue.enqueue(1);
    await queue.enqueue(2);
    await queue.lease();
    assert.equal(queue.isBackpressureActive, false);
    assert.deepEqual(changes, [true]);
    await clock.advance(1_000);
    await queue.enqueue(3);
    assert.deepEqual(changes, [true, true]);
    await queue.dispose();
  });

  test('listener errors are swallowed and listeners can unsubscribe', async () => {
    const { queue } = harness<string>();
    const seen: string[] = [];
    queue.registerLifecycleListener(() => {
      throw new Error('listener broke');
    });
    const sub = queue.registerLifecycleListener((e) => seen.push(e.kind));
    await queue.enqueue('a');
    sub.dispose();
    await queue.enqueue('b');
    assert.deepEqual(seen, ['Enqueued']);
    await queue.dispose();
  });

  test('events carry increasing ids, the queue name and ownership tokens', async () => {
    const { queue, events } = harness<string>({ name: 'orders' });
    await queue.enqueue('a');
    const lease = await queue.lease();
    await lease.heartbeat();
    await lease.complete();
    assert.deepEqual(
      events.map((e) => e.eventId),
      [1, 2, 3],
    );
    assert.ok(events.every((e) => e.queueName === 'orders'));
    assert.deepEqual(events[1]?.ownershipToken, lease.ownershipToken);
    assert.equal(events[1]?.leaseExpiration, 30_000);
    await queue.dispose();
  });
});

describe('TaskQueue health check', () => {
  const thresholds = {
    pendingDegraded: 2,
    pendingUnhealthy: 3,
    activeLeaseDegraded: 2,
    activeLeaseUnhealthy: 3,
  };

  test('defaults match Hugo', () => {
    assert.deepEqual(TaskQueueHealthDefaults, {
      pendingDegraded: 1_024,
      pendingUnhealthy: 2_048,
      activeLeaseDegraded: 64,
      activeLeaseUnhealthy: 128,
    });
  });

  test('healthy below the thresholds, degraded and unhealthy at them, with the counts as data', async () => {
    const { queue } = harness<number>();
    await queue.enqueue(1);
    assert.deepEqual(checkTaskQueueHealth(queue, thresholds), {
      status: 'healthy',
      description: undefined,
      data: { 'taskqueue.pending': 1, 'taskqueue.activeLeases': 0 },
    });
    await queue.enqueue(2);
    assert.equal(checkTaskQueueHealth(queue, thresholds).status, 'degraded');
    await queue.enqueue(3);
    const unhealthy = checkTaskQueueHealth(queue, thresholds);
    assert.equal(unhealthy.status, 'unhealthy');
    assert.equal(unhealthy.description, 'TaskQueue backlog exceeded unhealthy thresholds.');
    await queue.dispose();
  });

  test('active leases alone can degrade the queue or make it unhealthy', () => {
    assert.equal(
      checkTaskQueueHealth({ pendingCount: 0, activeLeaseCount: 2 }, thresholds).status,
      'degraded',
    );
    assert.equal(
      checkTaskQueueHealth({ pendingCount: 0, activeLeaseCount: 3 }, thresholds).status,
      'unhealthy',
    );
    assert.equal(
      checkTaskQueueHealth({ pendingCount: 1, activeLeaseCount: 1 }, thresholds).status,
      'healthy',
    );
  });
});

describe('TaskQueue storage seam', () => {
  test('every state change goes through the store, in order', async () => {
    const calls: string[] = [];
    class RecordingStore extends InMemoryTaskQueueStore<string> {
      override appendPending(item: Parameters<InMemoryTaskQueueStore<string>['appendPending']>[0]): void {
        calls.push(`append ${item.value}#${item.attempt}`);
        super.appendPending(item);
      }
      override takePending() {
        const item = super.takePending();
        if (item) calls.push(`take ${item.value}#${item.attempt}`);
        return item;
      }
      override saveLease(lease: Parameters<InMemoryTaskQueueStore<string>['saveLease']>[0]): void {
        calls.push(`save ${lease.token.leaseId} until ${lease.expiresAt}`);
        super.saveLease(lease);
      }
      override removeLease(leaseId: string) {
        calls.push(`remove ${leaseId}`);
        return super.removeLease(leaseId);
      }
      override recordDeadLetter(
        item: Parameters<InMemoryTaskQueueStore<string>['recordDeadLetter']>[0],
      ): void {
        calls.push(`deadletter ${item.value}`);
      }
    }
    const { queue, clock } = harness<string>(
      { leaseDurationMs: 100, heartbeatIntervalMs: 0, maxDeliveryAttempts: 2 },
      { store: new RecordingStore() },
    );
    await queue.enqueue('job');
    const first = await queue.lease();
    await clock.advance(10);
    await first.heartbeat();
    await first.fail(boom);
    const second = await queue.lease();
    await second.fail(boom);
    await queue.dispose();
    assert.deepEqual(calls, [
      'append job#1',
      'take job#1',
      'save lease-1 until 100',
      'save lease-1 until 110',
      'remove lease-1',
      'append job#2',
      'take job#2',
      'save lease-2 until 110',
      'remove lease-2',
      'deadletter job',
    ]);
  });
});

describe('SafeTaskQueue', () => {
  test('returns Results instead of throwing', async () => {
    const { queue } = harness<string>();
    const safe = new SafeTaskQueue(queue, true);
    assert.equal((await safe.enqueue('a')).ok, true);
    const leased = await safe.lease();
    assert.ok(leased.ok);
    const lease = leased.value;
    assert.equal((await lease.fail(null)).error?.code, ErrorCodes.Validation);
    assert.equal((await lease.complete()).ok, true);
    assert.equal((await lease.complete()).error?.code, ErrorCodes.TaskQueueLeaseInactive);
    assert.equal((await safe.lease(AbortSignal.abort())).error?.code, ErrorCodes.Canceled);
    await safe.dispose();
    assert.equal((await safe.enqueue('b')).error?.code, ErrorCodes.TaskQueueDisposed);
  });
});

import { type Clock, systemClock, type TimerHandle } from '../clock.js';
import { GoDiagnostics } from '../diagnostics.js';
import { abortReason } from '../result/cancellation.js';
import { ErrorCodes, HugoError } from '../result/error.js';
import '../sync/internal/dispose.js';
import { traced } from '../sync/internal/telemetry.js';
import { ProducerQueue, WaiterQueue } from '../sync/internal/waiters.js';
import { leaseInactiveError, queueDisposedError } from './errors.js';
import { type LeaseOwner, TaskQueueLease } from './lease.js';
import { Backpressure } from './backpressure.js';
import { LifecycleEvents } from './lifecycle.js';
import { type ResolvedTaskQueueOptions, resolveTaskQueueOptions, type TaskQueueOptions } from './options.js';
import { InMemoryTaskQueueStore, type TaskQueueLeaseRecord, type TaskQueueStore } from './store.js';
import type {
  TaskQueueDeadLetterContext,
  TaskQueueItem,
  TaskQueueLifecycleFlag,
  TaskQueueLifecycleListener,
  TaskQueueOwnershipToken,
  TaskQueuePendingItem,
} from './types.js';

export interface TaskQueueDependencies<T> {
  readonly clock?: Clock;
  /** Receives every item that leaves the queue unprocessed. Its errors reach `fail()`'s caller (see below). */
  readonly deadLetter?: (context: TaskQueueDeadLetterContext<T>) => void | PromiseLike<void>;
  /** Where pending items and leases live; in memory by default. */
  readonly store?: TaskQueueStore<T>;
  /** Makes lease ids; `crypto.randomUUID` by default. */
  readonly newLeaseId?: () => string;
  /**
   * Told about failures that have no caller to reach: a dead-letter handler that throws during the expiry sweep, a
   * delayed requeue or dispose. Hugo lets such a throw kill its sweep loop; here the sweep carries on.
   */
  readonly onBackgroundError?: (error: unknown) => void;
}

interface PendingEnqueue<T> {
  readonly item: TaskQueueItem<T>;
  readonly announce: () => void;
}

interface DelayedRequeue<T> {
  readonly item: TaskQueueItem<T>;
  readonly timer: TimerHandle;
}

const defaultLeaseId = () => globalThis.crypto.randomUUID();

/**
 * Hugo's `TaskQueue<T>`: a bounded work queue with leases. Workers `lease()` an item, `heartbeat()` while they work
 * and `complete()` or `fail()` it; a lease that is neither extended nor ended expires and the item comes back.
 * Delivery is at-least-once and `maxDeliveryAttempts` counts every delivery (expiry, failure and undelivered leases
 * all spend one); an item whose attempts are spent, or that fails with `requeue: false`, is dead-lettered with its
 * full context.
 *
 * Differences from Hugo, on purpose:
 * - `requeueDelayMs` is a timer on the clock, not a wait inside `fail()` or the sweep: `fail()` returns at once and
 *   one slow requeue does not hold up the expiry of other leases. Items waiting out their delay are still owned by
 *   the queue: `drain()` returns them and `dispose()` dead-letters them.
 * - A requeue is admitted even when the queue is at capacity (Hugo blocks, and inside the sweep that can stall every
 *   other expiry); only new `enqueue`s wait for room, so pending may briefly exceed capacity.
 * - A dead-letter handler that throws during the sweep is reported to `onBackgroundError` and the sweep carries on.
 * - Storage goes through `TaskQueueStore`, so the queue can be made durable.
 */
export class TaskQueue<T> implements LeaseOwner, AsyncDisposable {
  readonly options: ResolvedTaskQueueOptions;
  private readonly clock: Clock;
  private readonly store: TaskQueueStore<T>;
  private readonly deadLetterHandler: TaskQueueDependencies<T>['deadLetter'];
  private readonly newLeaseId: () => string;
  private readonly onBackgroundError: (error: unknown) => void;
  private readonly leaseWaiters = new WaiterQueue<TaskQueueLeaseRecord<T>>();
  private readonly enqueueWaiters = new ProducerQueue<PendingEnqueue<T>>();
  private readonly delayed = new Set<DelayedRequeue<T>>();
  private readonly background = new Set<Promise<void>>();
  private readonly events: LifecycleEvents<T>;
  private readonly tags: { 'taskqueue.name': string };
  private sweepTimer: TimerHandle | undefined;
  private closed = false;
  private readonly backpressure: Backpressure;

  constructor(options: TaskQueueOptions = {}, dependencies: TaskQueueDependencies<T> = {}) {
    this.options = resolveTaskQueueOptions(options);
    this.clock = dependencies.clock ?? systemClock;
    this.store = dependencies.store ?? new InMemoryTaskQueueStore<T>();
    this.deadLetterHandler = dependencies.deadLetter;
    this.newLeaseId = dependencies.newLeaseId ?? defaultLeaseId;
    this.onBackgroundError = dependencies.onBackgroundError ?? (() => {});
    this.tags = { 'taskqueue.name': this.options.name };
    this.events = new LifecycleEvents<T>(this.options.name, this.clock);
    this.backpressure = new Backpressure(this.options.backpressure, this.clock, this.tags);
    this.scheduleSweep();
  }

  get name(): string {
    return this.options.name;
  }

  /** Items waiting to be leased. */
  get pendingCount(): number {
    return this.store.pendingCount;
  }

  get activeLeaseCount(): number {
    return this.store.activeLeaseCount;
  }

  /** Failed or expired items waiting out `requeueDelayMs` before they are pending again. */
  get delayedCount(): number {
    return this.delayed.size;
  }

  /** Whether the pending count has crossed the high watermark and not yet fallen to the low one. */
  get isBackpressureActive(): boolean {
    return this.backpressure.isActive;
  }

  /** True once the queue was drained or disposed. */
  get isDisposed(): boolean {
    return this.closed;
  }

  /** Adds an item at the tail, waiting while the queue is full. */
  async enqueue(value: T, signal?: AbortSignal): Promise<void> {
    this.throwIfClosed();
    if (signal?.aborted) throw abortReason(signal);
    const item: TaskQueueItem<T> = {
      value,
      sequenceId: this.store.nextSequenceId(),
      attempt: 1,
      enqueuedAt: this.clock.now(),
      lastError: undefined,
      lastOwnershipToken: undefined,
    };
    // Announced just before it joins the line, so `Enqueued` precedes the `LeaseGranted` of a waiting worker.
    const announce = () => {
      GoDiagnostics.record('taskqueue.enqueued', 1, this.tags);
      this.events.publish('Enqueued', item, { occurredAt: item.enqueuedAt });
    };
    await traced(
      'TaskQueue.enqueue',
      () => this.admit(item, signal, announce),
      () => ({ ...this.tags, 'taskqueue.sequence_id': item.sequenceId, 'taskqueue.attempt': 1 }),
    );
  }

  /** Leases the oldest pending item, waiting (FIFO among waiting callers) while there is none. */
  async lease(signal?: AbortSignal): Promise<TaskQueueLease<T>> {
    this.throwIfClosed();
    if (signal?.aborted) throw abortReason(signal);
    const next = this.store.takePending();
    if (next) GoDiagnostics.record('taskqueue.pending', -1, this.tags);
    const record = next ? this.grant(next) : await this.leaseWaiters.wait(signal);
    return traced(
      'TaskQueue.lease',
      () => new TaskQueueLease<T>(this, record),
      () => this.spanTags(record),
    );
  }

  /** Subscribes to lifecycle events; dispose the returned handle to unsubscribe. Listener errors are swallowed. */
  registerLifecycleListener(listener: TaskQueueLifecycleListener<T>): Disposable & { dispose(): void } {
    return this.events.register(listener);
  }

  /** Resolves once backpressure is off (at once when it is). */
  waitForDraining(signal?: AbortSignal): Promise<void> {
    return this.backpressure.waitForDraining(signal);
  }

  /**
   * Shuts the queue down and returns the items that were waiting — pending ones in order, then any waiting out a
   * requeue delay — so they can be persisted and later `restore`d into a new queue. Active leases are abandoned.
   */
  async drain(): Promise<TaskQueuePendingItem<T>[]> {
    const drained = this.shutdown();
    for (const item of drained)
      this.events.publish('Drained', item, { error: item.lastError, flags: ['fromDrain'] });
    return drained;
  }

  /** Puts drained items back at the tail, keeping their attempt, sequence id, error and token; waits when full. */
  async restore(items: Iterable<TaskQueuePendingItem<T>>, signal?: AbortSignal): Promise<void> {
    this.throwIfClosed();
    for (const item of items) {
      if (signal?.aborted) throw abortReason(signal);
      this.store.observeSequenceId(item.sequenceId);
      await this.admit({ ...item }, signal, () => GoDiagnostics.record('taskqueue.enqueued', 1, this.tags));
    }
  }

  /**
   * Shuts the queue down: pending and delayed items are dead-lettered (with their last error, or
   * `error.taskqueue.deadlettered`), active leases are abandoned, waiting callers are rejected. Idempotent.
   */
  async dispose(): Promise<void> {
    const drained = this.shutdown();
    for (const item of drained) {
      const reason =
        item.lastError ?? HugoError.from('Queue disposed before delivery.', ErrorCodes.TaskQueueDeadLettered);
      try {
        await this.deadLetter(item, reason);
      } catch (error) {
        this.onBackgroundError(error);
      }
    }
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  // ---- LeaseOwner: called by TaskQueueLease, not meant for direct use ----------------------------------------------

  /** @internal */
  leaseExpiry(leaseId: string): number | undefined {
    return this.store.getLease(leaseId)?.expiresAt;
  }

  /** @internal */
  completeLease(leaseId: string): void {
    this.throwIfClosed();
    const record = this.store.getLease(leaseId);
    if (!record) throw leaseInactiveError();
    traced(
      'TaskQueue.complete',
      () => this.store.removeLease(leaseId),
      () => this.spanTags(record),
    );
    const now = this.clock.now();
    GoDiagnostics.record('taskqueue.completed', 1, this.tags);
    GoDiagnostics.record('taskqueue.active', -1, this.tags);
    GoDiagnostics.record('taskqueue.lease.duration', now - record.grantedAt, this.tags);
    this.events.publish('Completed', record.item, { token: record.token, occurredAt: now });
  }

  /** @internal */
  heartbeatLease(leaseId: string): void {
    this.throwIfClosed();
    const record = this.store.getLease(leaseId);
    if (!record) throw leaseInactiveError();
    const now = this.clock.now();
    const interval = this.options.heartbeatIntervalMs;
    if (interval > 0 && now - record.lastHeartbeatAt < interval) return;
    const expiresAt = now + this.options.leaseDurationMs;
    traced(
      'TaskQueue.heartbeat',
      () => this.store.saveLease({ ...record, expiresAt, lastHeartbeatAt: now }),
      () => this.spanTags(record),
    );
    GoDiagnostics.record('taskqueue.heartbeats', 1, this.tags);
    GoDiagnostics.record('taskqueue.heartbeat.extension', expiresAt - record.expiresAt, this.tags);
    this.events.publish('Heartbeat', record.item, {
      token: record.token,
      occurredAt: now,
      leaseExpiration: expiresAt,
    });
  }

  /** @internal */
  async failLease(leaseId: string, error: HugoError, requeue: boolean): Promise<void> {
    this.throwIfClosed();
    const record = this.store.removeLease(leaseId);
    if (!record) throw leaseInactiveError();
    const now = this.clock.now();
    GoDiagnostics.record('taskqueue.failed', 1, this.tags);
    GoDiagnostics.record('taskqueue.active', -1, this.tags);
    GoDiagnostics.record('taskqueue.lease.duration', now - record.grantedAt, this.tags);
    const item: TaskQueueItem<T> = { ...record.item, lastOwnershipToken: record.token };
    this.events.publish('Failed', item, { token: record.token, error, occurredAt: now });
    await traced(
      requeue ? 'TaskQueue.fail.requeue' : 'TaskQueue.fail.deadletter',
      () => (requeue ? this.requeue(item, error, []) : this.deadLetter(item, error)),
      () => this.spanTags(record),
    );
  }

  // ---- internals --------------------------------------------------------------------------------------------------

  private throwIfClosed(): void {
    if (this.closed) throw queueDisposedError(this.options.name);
  }

  private spanTags(record: TaskQueueLeaseRecord<T>) {
    return {
      ...this.tags,
      'taskqueue.sequence_id': record.item.sequenceId,
      'taskqueue.attempt': record.item.attempt,
      'taskqueue.lease_id': record.token.leaseId,
    };
  }

  // Puts an item in line, or parks the caller until there is room.
  private admit(
    item: TaskQueueItem<T>,
    signal: AbortSignal | undefined,
    announce: () => void,
  ): Promise<void> {
    if (this.store.pendingCount < this.options.capacity && this.enqueueWaiters.length === 0) {
      announce();
      this.append(item);
      return Promise.resolve();
    }
    return this.enqueueWaiters.park({ item, announce }, signal);
  }

  // The item joins the tail, or goes straight to the longest-waiting `lease()` caller.
  private append(item: TaskQueueItem<T>): void {
    if (this.leaseWaiters.length > 0) {
      this.leaseWaiters.grantNext(this.grant(item));
      return;
    }
    this.store.appendPending(item);
    GoDiagnostics.record('taskqueue.pending', 1, this.tags);
    GoDiagnostics.record('taskqueue.pending.depth', this.store.pendingCount, this.tags);
    this.backpressure.observe(this.store.pendingCount);
  }

  // A pending item became a lease: record it, and let a waiting enqueuer into the freed slot.
  private grant(item: TaskQueueItem<T>): TaskQueueLeaseRecord<T> {
    const now = this.clock.now();
    const token: TaskQueueOwnershipToken = Object.freeze({
      sequenceId: item.sequenceId,
      attempt: item.attempt,
      leaseId: this.newLeaseId(),
    });
    const record: TaskQueueLeaseRecord<T> = {
      item,
      token,
      grantedAt: now,
      expiresAt: now + this.options.leaseDurationMs,
      lastHeartbeatAt: now,
    };
    this.store.saveLease(record);
    GoDiagnostics.record('taskqueue.leased', 1, this.tags);
    GoDiagnostics.record('taskqueue.active', 1, this.tags);
    GoDiagnostics.record('taskqueue.active.depth', this.store.activeLeaseCount, this.tags);
    this.backpressure.observe(this.store.pendingCount);
    this.events.publish('LeaseGranted', item, { token, occurredAt: now, leaseExpiration: record.expiresAt });
    this.admitWaitingEnqueuers();
    return record;
  }

  private admitWaitingEnqueuers(): void {
    while (this.store.pendingCount < this.options.capacity) {
      const pending = this.enqueueWaiters.takeNext();
      if (!pending) return;
      pending.announce();
      this.append(pending.item);
    }
  }

  private requeue(item: TaskQueueItem<T>, error: HugoError, flags: TaskQueueLifecycleFlag[]): Promise<void> {
    const nextAttempt = item.attempt + 1;
    if (nextAttempt > this.options.maxDeliveryAttempts) return this.deadLetter(item, error);
    const requeued: TaskQueueItem<T> = { ...item, attempt: nextAttempt, lastError: error };
    const enter = () => {
      this.append(requeued);
      GoDiagnostics.record('taskqueue.requeued', 1, this.tags);
      this.events.publish('Requeued', requeued, { error, flags });
    };
    if (this.options.requeueDelayMs <= 0) {
      enter();
      return Promise.resolve();
    }
    const delayed: DelayedRequeue<T> = {
      item: requeued,
      timer: this.clock.setTimer(this.options.requeueDelayMs, () => {
        if (!this.delayed.delete(delayed)) return;
        try {
          enter();
        } catch (error) {
          this.onBackgroundError(error);
        }
      }),
    };
    this.delayed.add(delayed);
    return Promise.resolve();
  }

  private async deadLetter(item: TaskQueueItem<T>, error: HugoError): Promise<void> {
    GoDiagnostics.record('taskqueue.deadlettered', 1, this.tags);
    this.store.recordDeadLetter(item, error);
    if (this.deadLetterHandler) {
      await this.deadLetterHandler({
        value: item.value,
        error,
        attempt: item.attempt,
        enqueuedAt: item.enqueuedAt,
        sequenceId: item.sequenceId,
        lastOwnershipToken: item.lastOwnershipToken,
      });
    }
    this.events.publish('DeadLettered', item, { error, flags: ['deadLetter'] });
  }

  private scheduleSweep(): void {
    this.sweepTimer = this.clock.setTimer(this.options.leaseSweepIntervalMs, () => {
      if (this.closed) return;
      try {
        this.sweep();
      } catch (error) {
        // A timer callback has no caller: a throw here (a failing store) would crash the process.
        this.onBackgroundError(error);
      } finally {
        if (!this.closed) this.scheduleSweep();
      }
    });
  }

  private sweep(): void {
    const now = this.clock.now();
    for (const record of this.store.expiredLeases(now)) {
      if (!this.store.removeLease(record.token.leaseId)) continue;
      const error = HugoError.from(
        'Lease expired without heartbeat.',
        ErrorCodes.TaskQueueLeaseExpired,
      ).withMetadata({
        attempt: record.item.attempt,
        enqueuedAt: record.item.enqueuedAt,
        expiredAt: now,
      });
      GoDiagnostics.record('taskqueue.expired', 1, this.tags);
      GoDiagnostics.record('taskqueue.active', -1, this.tags);
      GoDiagnostics.record('taskqueue.lease.duration', now - record.grantedAt, this.tags);
      const item: TaskQueueItem<T> = { ...record.item, lastOwnershipToken: record.token };
      this.events.publish('Expired', item, {
        token: record.token,
        error,
        occurredAt: now,
        flags: ['fromExpiration'],
      });
      this.track(this.requeue(item, error, ['fromExpiration']));
    }
  }

  // Background work nobody awaits: errors go to `onBackgroundError`, and dispose waits for it to settle.
  private track(work: Promise<void>): void {
    const tracked = work.catch((error) => this.onBackgroundError(error));
    this.background.add(tracked);
    tracked.finally(() => this.background.delete(tracked));
  }

  private shutdown(): TaskQueueItem<T>[] {
    if (this.closed) return [];
    this.closed = true;
    this.sweepTimer?.cancel();
    const closed = queueDisposedError(this.options.name);
    this.leaseWaiters.failAll(closed);
    this.enqueueWaiters.failAll(closed);
    const drained = this.store.drainPending();
    for (const delayed of this.delayed) {
      delayed.timer.cancel();
      drained.push(delayed.item);
    }
    this.delayed.clear();
    if (drained.length > 0) GoDiagnostics.record('taskqueue.pending', -drained.length, this.tags);
    this.backpressure.observe(this.store.pendingCount);
    return drained;
  }
}

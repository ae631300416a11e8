import type { HugoError } from '../result/error.js';
import { Deque } from '../sync/internal/deque.js';
import type { TaskQueueItem, TaskQueueOwnershipToken } from './types.js';

/** One granted lease as persisted: the item, its fencing token and its timing (epoch ms). */
export interface TaskQueueLeaseRecord<T> {
  readonly item: TaskQueueItem<T>;
  readonly token: TaskQueueOwnershipToken;
  readonly grantedAt: number;
  readonly expiresAt: number;
  readonly lastHeartbeatAt: number;
}

/**
 * The persistence seam of `TaskQueue` (Hugo keeps everything in a channel and a dictionary). The queue owns the
 * protocol — attempts, expiry, requeue, dead-lettering, waiting — and calls the store for every state change, in the
 * order they happen, so a durable store can mirror the queue row by row (for example `task_queue_items` and
 * `task_queue_leases` tables in the matching service).
 *
 * The calls are synchronous: the queue's invariants (one owner per item, exactly one outcome per lease) rest on
 * each change being atomic with respect to other callers. A SQL-backed store therefore keeps this in-memory view and
 * writes through (synchronously with better-sqlite3, or through an ordered write-behind log for a network database).
 */
export interface TaskQueueStore<T> {
  readonly pendingCount: number;
  readonly activeLeaseCount: number;
  /** A new, increasing sequence id for a freshly enqueued item. */
  nextSequenceId(): number;
  /** Makes sure later ids are above `sequenceId` (used by `restore`). */
  observeSequenceId(sequenceId: number): void;
  /** Adds an item at the tail of the pending line (new, requeued or restored). */
  appendPending(item: TaskQueueItem<T>): void;
  /** Removes and returns the head of the pending line. */
  takePending(): TaskQueueItem<T> | undefined;
  /** Removes and returns every pending item, in order. */
  drainPending(): TaskQueueItem<T>[];
  /** Persists a new lease, or the new expiry of an extended one. */
  saveLease(lease: TaskQueueLeaseRecord<T>): void;
  getLease(leaseId: string): TaskQueueLeaseRecord<T> | undefined;
  /** Ends a lease (completed, failed or expired); returns it when it was active. */
  removeLease(leaseId: string): TaskQueueLeaseRecord<T> | undefined;
  /** Active leases whose expiry is at or before `now`. */
  expiredLeases(now: number): TaskQueueLeaseRecord<T>[];
  /** Records that an item left the queue for good through the dead-letter path. */
  recordDeadLetter(item: TaskQueueItem<T>, error: HugoError): void;
}

/** The default store: everything in memory, nothing recorded for dead letters beyond the handler call. */
export class InMemoryTaskQueueStore<T> implements TaskQueueStore<T> {
  private readonly pending = new Deque<TaskQueueItem<T>>();
  private readonly leases = new Map<string, TaskQueueLeaseRecord<T>>();
  private sequence = 0;

  get pendingCount(): number {
    return this.pending.length;
  }

  get activeLeaseCount(): number {
    return this.leases.size;
  }

  nextSequenceId(): number {
    this.sequence += 1;
    return this.sequence;
  }

  observeSequenceId(sequenceId: number): void {
    if (sequenceId > this.sequence) this.sequence = sequenceId;
  }

  appendPending(item: TaskQueueItem<T>): void {
    this.pending.push(item);
  }

  takePending(): TaskQueueItem<T> | undefined {
    return this.pending.shift();
  }

  drainPending(): TaskQueueItem<T>[] {
    return this.pending.clear();
  }

  saveLease(lease: TaskQueueLeaseRecord<T>): void {
    this.leases.set(lease.token.leaseId, lease);
  }

  getLease(leaseId: string): TaskQueueLeaseRecord<T> | undefined {
    return this.leases.get(leaseId);
  }

  removeLease(leaseId: string): TaskQueueLeaseRecord<T> | undefined {
    const lease = this.leases.get(leaseId);
    if (lease) this.leases.delete(leaseId);
    return lease;
  }

  expiredLeases(now: number): TaskQueueLeaseRecord<T>[] {
    const expired: TaskQueueLeaseRecord<T>[] = [];
    for (const lease of this.leases.values()) if (lease.expiresAt <= now) expired.push(lease);
    return expired;
  }

  recordDeadLetter(_item: TaskQueueItem<T>, _error: HugoError): void {}
}

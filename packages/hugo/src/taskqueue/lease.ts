import type { HugoError } from '../result/error.js';
import { leaseInactiveError } from './errors.js';
import type { TaskQueueLeaseRecord } from './store.js';
import type { TaskQueueOwnershipToken } from './types.js';

/** What a lease needs from its queue. */
export interface LeaseOwner {
  completeLease(leaseId: string): void;
  heartbeatLease(leaseId: string): void;
  failLease(leaseId: string, error: HugoError, requeue: boolean): Promise<void>;
  leaseExpiry(leaseId: string): number | undefined;
}

/**
 * Hugo's `TaskQueueLease<T>`: one delivery of one item. It ends exactly once — completed, failed or expired — and
 * every call after that rejects with a `ResultError` of code `error.taskqueue.lease_inactive` (or
 * `error.taskqueue.disposed` once the queue is gone).
 */
export class TaskQueueLease<T> {
  readonly value: T;
  /** 1-based delivery number of this item. */
  readonly attempt: number;
  readonly enqueuedAt: number;
  /** The error of the previous delivery, when this is a redelivery. */
  readonly lastError: HugoError | undefined;
  readonly sequenceId: number;
  readonly ownershipToken: TaskQueueOwnershipToken;
  private status: 'active' | 'completed' | 'failed' = 'active';

  constructor(
    private readonly owner: LeaseOwner,
    record: TaskQueueLeaseRecord<T>,
  ) {
    this.value = record.item.value;
    this.attempt = record.item.attempt;
    this.enqueuedAt = record.item.enqueuedAt;
    this.lastError = record.item.lastError;
    this.sequenceId = record.item.sequenceId;
    this.ownershipToken = record.token;
  }

  get leaseId(): string {
    return this.ownershipToken.leaseId;
  }

  /** When the lease runs out (epoch ms), or undefined once it is no longer held. */
  get expiresAt(): number | undefined {
    return this.status === 'active' ? this.owner.leaseExpiry(this.leaseId) : undefined;
  }

  /** Acknowledges the item: it leaves the queue for good. */
  async complete(): Promise<void> {
    this.claim('completed');
    this.owner.completeLease(this.leaseId);
  }

  /**
   * Extends the lease to now + lease duration, unless the previous heartbeat (or the grant) was less than the
   * heartbeat interval ago: then it is a silent no-op.
   */
  async heartbeat(): Promise<void> {
    if (this.status !== 'active') throw leaseInactiveError();
    this.owner.heartbeatLease(this.leaseId);
  }

  /**
   * Gives the item back with `error`: requeued at the tail with `attempt + 1` (dead-lettered once the attempts are
   * spent), or dead-lettered at once when `requeue` is false. A throwing dead-letter handler rejects this call.
   */
  async fail(error: HugoError, requeue = true): Promise<void> {
    if (error === undefined || error === null) throw new TypeError('A failure needs an error.');
    this.claim('failed');
    await this.owner.failLease(this.leaseId, error, requeue);
  }

  private claim(next: 'completed' | 'failed'): void {
    if (this.status !== 'active') throw leaseInactiveError();
    this.status = next;
  }
}

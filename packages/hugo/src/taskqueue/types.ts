import type { HugoError } from '../result/error.js';

/**
 * A fencing token for one delivery: the item's `sequenceId` (stable across requeues), the delivery `attempt`, and a
 * fresh `leaseId`. A stale holder can be told apart from the current one by comparing tokens.
 */
export interface TaskQueueOwnershipToken {
  readonly sequenceId: number;
  readonly attempt: number;
  readonly leaseId: string;
}

/** A queued work item as the queue and its store see it. `attempt` is the number of its next (or current) delivery. */
export interface TaskQueueItem<T> {
  readonly value: T;
  readonly sequenceId: number;
  readonly attempt: number;
  /** Epoch milliseconds of the first enqueue. */
  readonly enqueuedAt: number;
  readonly lastError: HugoError | undefined;
  readonly lastOwnershipToken: TaskQueueOwnershipToken | undefined;
}

/** What `drain()` returns and `restore()` accepts (Hugo's `TaskQueuePendingItem`). */
export type TaskQueuePendingItem<T> = TaskQueueItem<T>;

/** What the dead-letter handler receives. */
export interface TaskQueueDeadLetterContext<T> {
  readonly value: T;
  readonly error: HugoError;
  readonly attempt: number;
  readonly enqueuedAt: number;
  readonly sequenceId: number;
  readonly lastOwnershipToken: TaskQueueOwnershipToken | undefined;
}

export type TaskQueueLifecycleEventKind =
  | 'Enqueued'
  | 'LeaseGranted'
  | 'Heartbeat'
  | 'Completed'
  | 'Failed'
  | 'Requeued'
  | 'DeadLettered'
  | 'Expired'
  | 'Drained';

export type TaskQueueLifecycleFlag = 'fromExpiration' | 'deadLetter' | 'fromDrain';

/** One lifecycle event, delivered synchronously to every listener. */
export interface TaskQueueLifecycleEvent<T> {
  /** Increasing per queue, from 1. */
  readonly eventId: number;
  readonly kind: TaskQueueLifecycleEventKind;
  readonly queueName: string;
  readonly sequenceId: number;
  readonly attempt: number;
  readonly occurredAt: number;
  readonly enqueuedAt: number;
  readonly value: T;
  readonly error: HugoError | undefined;
  readonly ownershipToken: TaskQueueOwnershipToken | undefined;
  readonly leaseExpiration: number | undefined;
  readonly flags: readonly TaskQueueLifecycleFlag[];
}

export type TaskQueueLifecycleListener<T> = (event: TaskQueueLifecycleEvent<T>) => void;

import { isCancellation } from '../result/cancellation.js';
import { ErrorCodes, HugoError } from '../result/error.js';
import { fail, ok, type Result, ResultError } from '../result/result.js';
import type { TaskQueueLease } from './lease.js';
import type { TaskQueue } from './task-queue.js';
import type { TaskQueuePendingItem } from './types.js';

function toFailure<T>(error: unknown, signal?: AbortSignal): Result<T> {
  if (error instanceof ResultError) return fail(error.error);
  if (isCancellation(error, signal)) return fail(HugoError.canceled(undefined, signal));
  return fail(HugoError.fromException(error));
}

async function attempt<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<Result<T>> {
  try {
    return ok(await fn());
  } catch (error) {
    return toFailure<T>(error, signal);
  }
}

/** Hugo's `SafeTaskQueueLease`: the lease operations as Results (`error.taskqueue.lease_inactive`, …). */
export class SafeTaskQueueLease<T> {
  constructor(readonly lease: TaskQueueLease<T>) {}

  get value(): T {
    return this.lease.value;
  }

  get attempt(): number {
    return this.lease.attempt;
  }

  complete(): Promise<Result<void>> {
    return attempt(() => this.lease.complete());
  }

  heartbeat(): Promise<Result<void>> {
    return attempt(() => this.lease.heartbeat());
  }

  /** A missing error is `error.validation`, not a throw. */
  fail(error: HugoError | null | undefined, requeue = true): Promise<Result<void>> {
    if (error === null || error === undefined) {
      return Promise.resolve(
        fail(HugoError.from('An error is required to fail a lease.', ErrorCodes.Validation)),
      );
    }
    return attempt(() => this.lease.fail(error, requeue));
  }
}

/**
 * Hugo's `SafeTaskQueueWrapper<T>`: the queue's operations as Results instead of throws. A disposed queue gives
 * `error.taskqueue.disposed`, an ended lease `error.taskqueue.lease_inactive`, an abort `error.canceled`.
 */
export class SafeTaskQueue<T> implements AsyncDisposable {
  constructor(
    readonly queue: TaskQueue<T>,
    private readonly ownsQueue = false,
  ) {}

  enqueue(value: T, signal?: AbortSignal): Promise<Result<void>> {
    return attempt(() => this.queue.enqueue(value, signal), signal);
  }

  async lease(signal?: AbortSignal): Promise<Result<SafeTaskQueueLease<T>>> {
    return attempt(async () => new SafeTaskQueueLease(await this.queue.lease(signal)), signal);
  }

  /** Adapts a lease obtained elsewhere (Hugo's `Wrap`). */
  wrap(lease: TaskQueueLease<T>): SafeTaskQueueLease<T> {
    return new SafeTaskQueueLease(lease);
  }

  drain(): Promise<Result<TaskQueuePendingItem<T>[]>> {
    return attempt(() => this.queue.drain());
  }

  restore(items: Iterable<TaskQueuePendingItem<T>>, signal?: AbortSignal): Promise<Result<void>> {
    return attempt(() => this.queue.restore(items, signal), signal);
  }

  async dispose(): Promise<void> {
    if (this.ownsQueue) await this.queue.dispose();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

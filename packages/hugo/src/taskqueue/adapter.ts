import { Channel } from '../channels/channel.js';
import type { ChannelReader, ChannelWriter, ReadAttempt } from '../channels/types.js';
import { isCancellation } from '../result/cancellation.js';
import { ErrorCodes, HugoError } from '../result/error.js';
import { ResultError } from '../result/result.js';
import '../sync/internal/dispose.js';
import { Semaphore } from '../sync/internal/semaphore.js';
import type { TaskQueueLease } from './lease.js';
import type { TaskQueue } from './task-queue.js';

export interface TaskQueueChannelAdapterOptions<T> {
  /** Where leases are written; an unbounded channel by default. */
  readonly channel?: Channel<TaskQueueLease<T>>;
  /** Leases handed out but not yet read, at most; also the number of pumps. Default 1. */
  readonly concurrency?: number;
  /** Dispose the queue when the adapter is disposed. Default false. */
  readonly ownsQueue?: boolean;
}

/**
 * Hugo's `TaskQueueChannelAdapter<T>`: pumps leases from a `TaskQueue` into a channel so consumers can `select` on
 * them. Read leases through `adapter.reader`.
 *
 * Unlike Hugo, the pumps share a credit semaphore of `concurrency` permits: a pump takes a credit before it leases
 * and the credit comes back when a consumer reads that lease from `adapter.reader`. So there are never more than
 * `concurrency` leases waiting unread (each of them ticking towards expiry), and pumps cannot race for one free slot
 * — in Hugo the losers' failed writes stop the whole adapter.
 *
 * A lease that cannot be written (the channel was completed, or the adapter is being disposed) is failed back to the
 * queue with `error.canceled` and requeued. That spends one delivery attempt, as in Hugo: the queue counts deliveries,
 * and it cannot know the lease never reached a worker. A failed write stops only that pump when the channel can no
 * longer take writes; otherwise the pump carries on.
 *
 * A pump error completes the reader with that error; a disposed queue completes it normally. Leases buffered but
 * unread when the adapter is disposed are not requeued: they expire and come back with the next attempt.
 */
export class TaskQueueChannelAdapter<T> implements AsyncDisposable {
  readonly reader: ChannelReader<TaskQueueLease<T>>;
  private readonly channel: Channel<TaskQueueLease<T>>;
  private readonly credits: Semaphore;
  // One controller per pump: a shared signal would collect a listener per parked pump (Node warns past 10).
  private readonly stops: AbortController[] = [];
  private readonly pumps: Promise<void>[];
  private disposed = false;

  private constructor(
    private readonly queue: TaskQueue<T>,
    options: TaskQueueChannelAdapterOptions<T>,
  ) {
    const concurrency = options.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency <= 0) {
      throw new RangeError(`concurrency must be a positive integer, got ${concurrency}.`);
    }
    this.ownsQueue = options.ownsQueue ?? false;
    this.channel = options.channel ?? new Channel<TaskQueueLease<T>>();
    this.credits = new Semaphore(concurrency);
    this.reader = new CreditedReader(this.channel, () => this.credits.release());
    this.pumps = Array.from({ length: concurrency }, () => this.pump());
  }

  private readonly ownsQueue: boolean;

  static create<T>(
    queue: TaskQueue<T>,
    options: TaskQueueChannelAdapterOptions<T> = {},
  ): TaskQueueChannelAdapter<T> {
    return new TaskQueueChannelAdapter<T>(queue, options);
  }

  /** Stops the pumps, completes the reader and, when it owns the queue, disposes the queue. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const stop of this.stops) stop.abort();
    await Promise.all(this.pumps);
    this.channel.tryComplete();
    if (this.ownsQueue) await this.queue.dispose();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  private async pump(): Promise<void> {
    const stop = new AbortController();
    this.stops.push(stop);
    const signal = stop.signal;
    const writer: ChannelWriter<TaskQueueLease<T>> = this.channel;
    while (!signal.aborted && !writer.isCompleted) {
      try {
        await this.credits.acquire(signal);
      } catch {
        return;
      }
      let lease: TaskQueueLease<T>;
      try {
        lease = await this.queue.lease(signal);
      } catch (error) {
        this.credits.release();
        if (signal.aborted && isCancellation(error, signal)) return;
        if (error instanceof ResultError && error.error.code === ErrorCodes.TaskQueueDisposed)
          writer.tryComplete();
        else writer.tryComplete(error);
        return;
      }
      try {
        await writer.write(lease, signal);
      } catch {
        this.credits.release();
        try {
          await lease.fail(HugoError.canceled('Lease could not be delivered before completion.'));
        } catch {
          // The queue is gone or the lease already ended; the item is then the queue's to account for.
        }
      }
    }
  }
}

// The adapter's view of the channel: every value taken hands a credit back to the pumps.
class CreditedReader<T> implements ChannelReader<T> {
  constructor(
    private readonly inner: ChannelReader<T>,
    private readonly taken: () => void,
  ) {}

  get completion(): Promise<void> {
    return this.inner.completion;
  }

  get isDrained(): boolean {
    return this.inner.isDrained;
  }

  get count(): number {
    return this.inner.count;
  }

  canRead(): boolean {
    return this.inner.canRead();
  }

  tryRead(): ReadAttempt<T> {
    const next = this.inner.tryRead();
    if (next.ok) this.taken();
    return next;
  }

  async read(signal?: AbortSignal): Promise<T> {
    const value = await this.inner.read(signal);
    this.taken();
    return value;
  }

  waitToRead(signal?: AbortSignal): Promise<boolean> {
    return this.inner.waitToRead(signal);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (await this.waitToRead()) {
      for (let next = this.tryRead(); next.ok; next = this.tryRead()) yield next.value;
    }
  }
}

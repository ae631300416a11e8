import '../sync/internal/dispose.js';
import { GoDiagnostics } from '../diagnostics.js';
import { abortReason } from '../result/cancellation.js';
import { Deque } from '../sync/internal/deque.js';
import { deferred, handled } from '../sync/internal/deferred.js';
import { ProducerQueue, WaiterQueue } from '../sync/internal/waiters.js';
import { channelCompletedError, toThrowable } from './errors.js';
import type { BoundedChannelFullMode, ChannelReader, ChannelWriter, ReadAttempt } from './types.js';

export interface ChannelOptions<T> {
  /** Values buffered at most; `Infinity` (the default) makes the channel unbounded. */
  readonly capacity?: number;
  /** What a write into a full bounded channel does; defaults to `wait`. */
  readonly fullMode?: BoundedChannelFullMode;
  /** Called with each value a drop mode discards. */
  readonly onDropped?: (value: T) => void;
}

const nothing: ReadAttempt<never> = Object.freeze({ ok: false as const });

/**
 * An in-memory channel (Hugo's `MakeChannel`, .NET's `Channel<T>`): a FIFO buffer with waiting readers and, when
 * bounded, waiting writers. A value written while readers wait goes straight to the longest-waiting one; nothing is
 * ever handed to a reader that has given up. Any number of readers and writers may use it.
 */
export class Channel<T> implements ChannelReader<T>, ChannelWriter<T> {
  readonly capacity: number;
  readonly fullMode: BoundedChannelFullMode;
  private readonly onDropped: ((value: T) => void) | undefined;
  private readonly buffer = new Deque<T>();
  private readonly readers = new WaiterQueue<T>();
  private readonly readWatchers = new WaiterQueue<boolean>();
  private readonly writers = new ProducerQueue<T>();
  private readonly writeWatchers = new WaiterQueue<boolean>();
  private completed = false;
  private fault: unknown = undefined;
  private faulted = false;
  private drained = false;
  private readonly done = deferred<void>();
  readonly completion: Promise<void> = handled(this.done.promise);

  constructor(options: ChannelOptions<T> = {}) {
    const capacity = options.capacity ?? Number.POSITIVE_INFINITY;
    if (capacity !== Number.POSITIVE_INFINITY && (!Number.isInteger(capacity) || capacity <= 0)) {
      throw new RangeError(`Channel capacity must be a positive integer or Infinity, got ${capacity}.`);
    }
    this.capacity = capacity;
    this.fullMode = options.fullMode ?? 'wait';
    this.onDropped = options.onDropped;
  }

  /** This channel seen as its reading side only. */
  get reader(): ChannelReader<T> {
    return this;
  }

  /** This channel seen as its writing side only. */
  get writer(): ChannelWriter<T> {
    return this;
  }

  get count(): number {
    return this.buffer.length;
  }

  get isCompleted(): boolean {
    return this.completed;
  }

  get isDrained(): boolean {
    return this.drained;
  }

  canRead(): boolean {
    return this.buffer.length > 0;
  }

  tryRead(): ReadAttempt<T> {
    if (this.buffer.length === 0) return nothing;
    return { ok: true, value: this.take() };
  }

  read(signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.buffer.length > 0) {
      return Promise.resolve(this.take());
    }
    if (this.completed) return Promise.reject(this.closedReason());
    return this.readers.wait(signal);
  }

  waitToRead(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.buffer.length > 0) return Promise.resolve(true);
    if (this.completed) return this.faulted ? Promise.reject(this.fault) : Promise.resolve(false);
    return this.readWatchers.wait(signal);
  }

  tryWrite(value: T): boolean {
    if (this.completed) return false;
    if (this.readers.grantNext(value)) return true;
    if (this.buffer.length < this.capacity) {
      this.buffer.push(value);
      this.readWatchers.grantAll(true);
      return true;
    }
    switch (this.fullMode) {
      case 'wait':
        return false;
      case 'dropOldest':
        this.dropped(this.buffer.shift() as T);
        this.buffer.push(value);
        return true;
      case 'dropNewest':
        this.dropped(this.buffer.pop() as T);
        this.buffer.push(value);
        return true;
      case 'dropWrite':
        this.dropped(value);
        return true;
    }
  }

  write(value: T, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.completed) return Promise.reject(channelCompletedError());
    if (this.tryWrite(value)) return Promise.resolve();
    return this.writers.park(value, signal);
  }

  waitToWrite(signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.completed) return Promise.resolve(false);
    if (this.buffer.length < this.capacity || this.fullMode !== 'wait') return Promise.resolve(true);
    return this.writeWatchers.wait(signal);
  }

  tryComplete(error?: unknown): boolean {
    if (this.completed) return false;
    this.completed = true;
    if (error !== undefined) {
      this.faulted = true;
      this.fault = toThrowable(error);
    }
    this.writers.failAll(channelCompletedError());
    this.writeWatchers.grantAll(false);
    if (this.buffer.length === 0) this.finish();
    return true;
  }

  complete(error?: unknown): void {
    if (!this.tryComplete(error)) throw channelCompletedError('The channel has already been completed.');
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (await this.waitToRead()) {
      for (let next = this.tryRead(); next.ok; next = this.tryRead()) yield next.value;
    }
  }

  // Every buffered value is consumed here; Hugo's `channel.depth` histogram observes the depth the consumer found.
  private take(): T {
    GoDiagnostics.record('channel.depth', this.buffer.length);
    const value = this.buffer.shift() as T;
    this.afterTake();
    return value;
  }

  private dropped(value: T): void {
    this.onDropped?.(value);
  }

  // A value left the buffer: let the longest-waiting writer in, or tell watchers there is room.
  private afterTake(): void {
    if (this.writers.length > 0) {
      this.buffer.push(this.writers.takeNext() as T);
      return;
    }
    if (this.completed) {
      if (this.buffer.length === 0) this.finish();
      return;
    }
    this.writeWatchers.grantAll(true);
  }

  private closedReason(): unknown {
    return this.faulted ? this.fault : channelCompletedError();
  }

  // Completed and empty: no value will ever come out again.
  private finish(): void {
    if (this.drained) return;
    this.drained = true;
    this.readers.failAll(this.closedReason());
    if (this.faulted) this.readWatchers.failAll(this.fault);
    else this.readWatchers.grantAll(false);
    if (this.faulted) this.done.reject(this.fault);
    else this.done.resolve();
  }
}

/** A channel holding at most `capacity` values (> 0). */
export function boundedChannel<T>(
  capacity: number,
  options: Omit<ChannelOptions<T>, 'capacity'> = {},
): Channel<T> {
  return new Channel<T>({ ...options, capacity });
}

/** A channel that never makes writers wait. */
export function unboundedChannel<T>(): Channel<T> {
  return new Channel<T>();
}

/** Hugo's `MakeChannel`: a capacity above zero makes a bounded channel, anything else an unbounded one. */
export function makeChannel<T>(
  capacity?: number | null,
  options: Omit<ChannelOptions<T>, 'capacity'> = {},
): Channel<T> {
  return capacity !== undefined && capacity !== null && capacity > 0
    ? boundedChannel<T>(capacity, options)
    : new Channel<T>(options);
}

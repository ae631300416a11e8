/** What `tryRead` returns: the value, or `ok: false` when nothing is buffered right now. */
export type ReadAttempt<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

/** The consuming side of a channel (`System.Threading.Channels.ChannelReader<T>`). */
export interface ChannelReader<T> extends AsyncIterable<T> {
  /** Takes a buffered value at once, without waiting. */
  tryRead(): ReadAttempt<T>;
  /** True when `tryRead` would return a value right now. It consumes nothing, which is what lets `select` probe. */
  canRead(): boolean;
  /**
   * Waits for a value and takes it. Rejects with the completion error when the channel faulted, with a `ResultError`
   * of code `error.channel.completed` when it completed normally and is empty, or with the signal's reason.
   */
  read(signal?: AbortSignal): Promise<T>;
  /**
   * Resolves true once a value is available (without taking it), false when the channel completed and is empty;
   * rejects with the completion error of a faulted channel.
   */
  waitToRead(signal?: AbortSignal): Promise<boolean>;
  /** Settles when no value will ever be read again: completed and drained. Rejects when the channel faulted. */
  readonly completion: Promise<void>;
  /** True once `completion` has settled. */
  readonly isDrained: boolean;
  /** Values buffered now. */
  readonly count: number;
}

/** The producing side of a channel (`ChannelWriter<T>`). */
export interface ChannelWriter<T> {
  /** Writes at once when there is room (or the full mode drops something); false when full or completed. */
  tryWrite(value: T): boolean;
  /**
   * Writes, waiting for room when the channel is full. Rejects with a `ResultError` of code
   * `error.channel.completed` when the channel is (or becomes, while waiting) completed.
   */
  write(value: T, signal?: AbortSignal): Promise<void>;
  /** Resolves true once a write could succeed, false when the channel has completed. */
  waitToWrite(signal?: AbortSignal): Promise<boolean>;
  /** Completes the channel, optionally with a fault; false when it was already completed. */
  tryComplete(error?: unknown): boolean;
  /** Like `tryComplete`, but completing twice throws. */
  complete(error?: unknown): void;
  /** True once the writing side has completed. */
  readonly isCompleted: boolean;
}

/** What a bounded channel does when a write finds it full. */
export type BoundedChannelFullMode = 'wait' | 'dropOldest' | 'dropNewest' | 'dropWrite';

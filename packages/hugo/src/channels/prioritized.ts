import { abortReason } from '../result/cancellation.js';
import { handled } from '../sync/internal/deferred.js';
import { Channel } from './channel.js';
import { channelCompletedError } from './errors.js';
import { raceWithCleanup } from './race.js';
import type { BoundedChannelFullMode, ChannelReader, ChannelWriter, ReadAttempt } from './types.js';

export interface PrioritizedChannelOptions<T> {
  /** Number of lanes; defaults to 3. Priority 0 is the highest. */
  readonly priorityLevels?: number;
  /** The lane for writes that name none; defaults to the lowest (`priorityLevels - 1`). */
  readonly defaultPriority?: number;
  /** Capacity of each lane; unbounded when omitted. */
  readonly capacityPerLevel?: number;
  /** What a write into a full lane does; defaults to `wait`. */
  readonly fullMode?: BoundedChannelFullMode;
  readonly onDropped?: (value: T) => void;
}

const nothing: ReadAttempt<never> = Object.freeze({ ok: false as const });

/**
 * Hugo's `PrioritizedChannel<T>`: one lane per priority level behind a single reader that always drains the highest
 * lane (0) first. It completes when every lane has; a faulted lane's error reaches the reader once the values ahead of
 * it are read. Hugo's per-lane prefetch buffer is not needed here: the reader looks into the lanes directly.
 */
export class PrioritizedChannel<T> implements ChannelReader<T>, ChannelWriter<T> {
  readonly priorityLevels: number;
  readonly defaultPriority: number;
  private readonly lanes: Channel<T>[];
  readonly completion: Promise<void>;

  constructor(options: PrioritizedChannelOptions<T> = {}) {
    const levels = options.priorityLevels ?? 3;
    if (!Number.isInteger(levels) || levels < 1) {
      throw new RangeError(`priorityLevels must be a positive integer, got ${levels}.`);
    }
    const defaultPriority = options.defaultPriority ?? levels - 1;
    if (!Number.isInteger(defaultPriority) || defaultPriority < 0 || defaultPriority >= levels) {
      throw new RangeError(`defaultPriority must be between 0 and ${levels - 1}, got ${defaultPriority}.`);
    }
    const capacity = options.capacityPerLevel;
    if (capacity !== undefined && (!Number.isInteger(capacity) || capacity <= 0)) {
      throw new RangeError(`capacityPerLevel must be a positive integer, got ${capacity}.`);
    }
    this.priorityLevels = levels;
    this.defaultPriority = defaultPriority;
    this.lanes = Array.from(
      { length: levels },
      () =>
        new Channel<T>({
          capacity: capacity ?? Number.POSITIVE_INFINITY,
          ...(options.fullMode ? { fullMode: options.fullMode } : {}),
          ...(options.onDropped ? { onDropped: options.onDropped } : {}),
        }),
    );
    this.completion = handled(
      Promise.allSettled(this.lanes.map((lane) => lane.completion)).then((outcomes) => {
        for (const outcome of outcomes) if (outcome.status === 'rejected') throw outcome.reason;
      }),
    );
  }

  get reader(): ChannelReader<T> {
    return this;
  }

  get writer(): PrioritizedChannel<T> {
    return this;
  }

  get count(): number {
    let n = 0;
    for (const lane of this.lanes) n += lane.count;
    return n;
  }

  /** Values buffered in one lane. */
  countAt(priority: number): number {
    return this.lane(priority).count;
  }

  get isCompleted(): boolean {
    return this.lanes.every((lane) => lane.isCompleted);
  }

  get isDrained(): boolean {
    return this.lanes.every((lane) => lane.isDrained);
  }

  canRead(): boolean {
    return this.lanes.some((lane) => lane.canRead());
  }

  tryRead(): ReadAttempt<T> {
    for (const lane of this.lanes) {
      const next = lane.tryRead();
      if (next.ok) return next;
    }
    return nothing;
  }

  async read(signal?: AbortSignal): Promise<T> {
    for (;;) {
      const next = this.tryRead();
      if (next.ok) return next.value;
      if (!(await this.waitToRead(signal))) throw channelCompletedError();
    }
  }

  async waitToRead(signal?: AbortSignal): Promise<boolean> {
    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      if (this.canRead()) return true;
      const open = this.lanes.filter((lane) => !lane.isDrained);
      if (open.length === 0) {
        // Every lane is done: surface the first fault, as the reader of a faulted lane must see it.
        for (const lane of this.lanes) await lane.completion;
        return false;
      }
      await raceWithCleanup(open, (lane, _i, round) => lane.waitToRead(round), signal);
    }
  }

  /** Writes to the default lane, or to lane `priority` (0 is highest); a priority outside the lanes throws. */
  tryWrite(value: T, priority?: number): boolean {
    return this.lane(priority ?? this.defaultPriority).tryWrite(value);
  }

  write(value: T, signal?: AbortSignal): Promise<void>;
  write(value: T, priority: number | undefined, signal?: AbortSignal): Promise<void>;
  write(value: T, priorityOrSignal?: number | AbortSignal, maybeSignal?: AbortSignal): Promise<void> {
    const priority = typeof priorityOrSignal === 'number' ? priorityOrSignal : this.defaultPriority;
    const signal = priorityOrSignal instanceof AbortSignal ? priorityOrSignal : maybeSignal;
    return this.lane(priority).write(value, signal);
  }

  waitToWrite(signal?: AbortSignal): Promise<boolean>;
  waitToWrite(priority: number, signal?: AbortSignal): Promise<boolean>;
  waitToWrite(priorityOrSignal?: number | AbortSignal, maybeSignal?: AbortSignal): Promise<boolean> {
    const priority = typeof priorityOrSignal === 'number' ? priorityOrSignal : this.defaultPriority;
    const signal = priorityOrSignal instanceof AbortSignal ? priorityOrSignal : maybeSignal;
    return this.lane(priority).waitToWrite(signal);
  }

  tryComplete(error?: unknown): boolean {
    let changed = false;
    for (const lane of this.lanes) changed = lane.tryComplete(error) || changed;
    return changed;
  }

  complete(error?: unknown): void {
    if (!this.tryComplete(error)) throw channelCompletedError('The channel has already been completed.');
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (await this.waitToRead()) {
      for (let next = this.tryRead(); next.ok; next = this.tryRead()) yield next.value;
    }
  }

  private lane(priority: number): Channel<T> {
    if (!Number.isInteger(priority) || priority < 0 || priority >= this.priorityLevels) {
      throw new RangeError(`Priority must be between 0 and ${this.priorityLevels - 1}, got ${priority}.`);
    }
    return this.lanes[priority]!;
  }
}

/** Hugo's `Go.PrioritizedChannel<T>()`. */
export function prioritizedChannel<T>(options: PrioritizedChannelOptions<T> = {}): PrioritizedChannel<T> {
  return new PrioritizedChannel<T>(options);
}

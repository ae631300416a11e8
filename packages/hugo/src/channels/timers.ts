import { type Clock, systemClock, type TimerHandle } from '../clock.js';
import '../sync/internal/dispose.js';
import { Channel } from './channel.js';
import type { ChannelReader } from './types.js';

export interface TimerOptions {
  readonly clock?: Clock;
  /** Aborting stops the timer (a pending `after` then completes without a value). */
  readonly signal?: AbortSignal;
}

function checkDelay(ms: number, what: string): void {
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError(`${what} must be a finite, non-negative number, got ${ms}.`);
}

/** Hugo's `DelayAsync`: resolves after `ms` on the clock; rejects with the signal's reason on abort. */
export function delay(ms: number, options: TimerOptions = {}): Promise<void> {
  checkDelay(ms, 'Delay');
  return (options.clock ?? systemClock).sleep(ms, options.signal);
}

/**
 * Hugo's `After`: a reader that yields the clock's time (epoch ms) once, `ms` from now, and then completes.
 * A negative or infinite delay throws.
 */
export function after(ms: number, options: TimerOptions = {}): ChannelReader<number> {
  checkDelay(ms, 'Delay');
  const clock = options.clock ?? systemClock;
  const channel = new Channel<number>({ capacity: 1 });
  const signal = options.signal;
  const onAbort = () => {
    timer.cancel();
    channel.tryComplete();
  };
  const timer = clock.setTimer(ms, () => {
    signal?.removeEventListener('abort', onAbort);
    channel.tryWrite(clock.now());
    channel.tryComplete();
  });
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return channel;
}

/** Hugo's `AfterAsync`: the time `ms` from now, once it is reached. */
export async function afterAsync(ms: number, options: TimerOptions = {}): Promise<number> {
  checkDelay(ms, 'Delay');
  const clock = options.clock ?? systemClock;
  await clock.sleep(ms, options.signal);
  return clock.now();
}

/**
 * Hugo's `GoTicker`: ticks every `periodMs` into a reader that holds one tick and drops the oldest when the consumer
 * lags (so a slow consumer sees the latest tick, never a backlog). `stop()` (or `using`) stops it and completes the
 * reader.
 */
export class Ticker implements Disposable {
  readonly periodMs: number;
  private readonly clock: Clock;
  private readonly channel = new Channel<number>({ capacity: 1, fullMode: 'dropOldest' });
  private timer: TimerHandle | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = () => this.stop();

  constructor(periodMs: number, options: TimerOptions = {}) {
    if (!Number.isFinite(periodMs) || periodMs <= 0) {
      throw new RangeError(`Ticker period must be a finite, positive number, got ${periodMs}.`);
    }
    this.periodMs = periodMs;
    this.clock = options.clock ?? systemClock;
    this.signal = options.signal;
    if (this.signal?.aborted) {
      this.channel.tryComplete();
      return;
    }
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.schedule();
  }

  get reader(): ChannelReader<number> {
    return this.channel;
  }

  get stopped(): boolean {
    return this.channel.isCompleted;
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.channel.tryComplete();
  }

  [Symbol.dispose](): void {
    this.stop();
  }

  private schedule(): void {
    this.timer = this.clock.setTimer(this.periodMs, () => {
      if (this.channel.isCompleted) return;
      this.channel.tryWrite(this.clock.now());
      this.schedule();
    });
  }
}

/** Hugo's `NewTicker`. */
export function newTicker(periodMs: number, options: TimerOptions = {}): Ticker {
  return new Ticker(periodMs, options);
}

/** Hugo's `Tick`: just the ticker's reader (stop it through `options.signal`). */
export function tick(periodMs: number, options: TimerOptions = {}): ChannelReader<number> {
  return new Ticker(periodMs, options).reader;
}

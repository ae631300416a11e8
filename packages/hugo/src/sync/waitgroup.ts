import { abortScope } from '../abort-scope.js';
import { type Clock, systemClock } from '../clock.js';
import { GoDiagnostics } from '../diagnostics.js';
import { abortReason, throwIfAborted } from '../result/cancellation.js';
import { run } from './go.js';
import { WaiterQueue } from './internal/waiters.js';

export interface WaitGroupOptions {
  /** The clock for `waitWithTimeout`; defaults to the system clock. */
  readonly clock?: Clock;
}

/**
 * Hugo's `WaitGroup` (Go's `sync.WaitGroup`): a counter of outstanding work and a way to wait for it to reach zero.
 * Work added through `add(promise)` or `go(fn)` is released when it settles, whether it fulfils or rejects; its
 * rejection is swallowed (report failures through an ErrGroup when they matter).
 */
export class WaitGroup {
  private outstanding = 0;
  private readonly waiters = new WaiterQueue<void>();
  private readonly clock: Clock;

  constructor(options: WaitGroupOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  /** Work not yet done. */
  get count(): number {
    return this.outstanding;
  }

  /** Adds `delta` (> 0) units of work, or tracks a promise until it settles. */
  add(delta: number): void;
  add(work: PromiseLike<unknown>): void;
  add(deltaOrWork: number | PromiseLike<unknown>): void {
    if (typeof deltaOrWork === 'number') {
      if (!Number.isInteger(deltaOrWork) || deltaOrWork <= 0) {
        throw new RangeError(`WaitGroup delta must be a positive integer, got ${deltaOrWork}.`);
      }
      this.outstanding += deltaOrWork;
      this.recordAdded(deltaOrWork);
      return;
    }
    this.outstanding += 1;
    this.recordAdded(1);
    const release = () => this.done();
    Promise.resolve(deltaOrWork).then(release, release);
  }

  /**
   * Runs `fn` and tracks it until it settles. An already-aborted signal means `fn` never runs, yet the unit is still
   * added and released, as Hugo's cancelled task is.
   */
  go(fn: (signal?: AbortSignal) => unknown, signal?: AbortSignal): void {
    this.add(run(fn, signal));
  }

  /** Marks one unit done; going below zero is a bug and throws. */
  done(): void {
    if (this.outstanding <= 0) throw new Error('WaitGroup counter cannot go negative.');
    this.outstanding -= 1;
    GoDiagnostics.record('waitgroup.completions', 1);
    GoDiagnostics.record('waitgroup.outstanding', -1);
    if (this.outstanding === 0) this.waiters.grantAll(undefined);
  }

  /** Resolves when the counter is zero (at once if it already is); an aborted signal rejects, even at zero. */
  wait(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.outstanding === 0) return Promise.resolve();
    return this.waiters.wait(signal);
  }

  /** Like `wait`, but resolves false when `timeoutMs` passes on the clock first; true when the work finished. */
  async waitWithTimeout(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    throwIfAborted(signal);
    if (this.outstanding === 0) return true;
    if (timeoutMs === Number.POSITIVE_INFINITY) {
      await this.wait(signal);
      return true;
    }
    if (!(timeoutMs >= 0)) throw new RangeError(`Timeout must be non-negative, got ${timeoutMs}.`);
    using scope = abortScope(signal, { clock: this.clock, ms: timeoutMs });
    try {
      await this.waiters.wait(scope.signal);
      return true;
    } catch (error) {
      if (scope.timedOut) return false;
      throw error;
    }
  }

  private recordAdded(delta: number): void {
    GoDiagnostics.record('waitgroup.additions', delta);
    GoDiagnostics.record('waitgroup.outstanding', delta);
  }
}

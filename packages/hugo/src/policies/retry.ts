import type { HugoError } from '../result/error.js';
import { cronNext } from './cron.js';

/** Whether to try again, and when: after `delayMs`, or at the epoch-millisecond instant `at`. */
export type RetryDecision =
  | { readonly retry: false }
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: true; readonly at: number };

/** What a retry policy sees after a failed attempt. `attempt` counts attempts made so far (1 after the first). */
export interface RetryState {
  readonly attempt: number;
  readonly error: HugoError;
  readonly errors: readonly HugoError[];
  /** The clock's `now()` when the failure was registered. */
  readonly now: number;
}

export interface ExponentialRetryOptions {
  /** Growth factor per attempt, > 1. Default 2. */
  multiplier?: number;
  /** Upper bound of any single delay. */
  maxDelayMs?: number;
  /**
   * Fraction (0..1) of each delay that is randomised away: delay × (1 − jitter × random()). Default 0, so the
   * schedule is deterministic unless asked. A non-zero jitter requires `random`.
   */
  jitter?: number;
  /** The injected random source, returning [0, 1). */
  random?: () => number;
}

const stop: RetryDecision = Object.freeze({ retry: false });

function assertAttempts(maxAttempts: number): void {
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError('maxAttempts must be an integer of at least 1 (it counts total attempts).');
  }
}

function assertDelay(name: string, ms: number): void {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`${name} must be a finite, non-negative number.`);
}

/**
 * When a failed attempt is tried again. Hugo's `ResultRetryPolicy`. `maxAttempts` counts TOTAL attempts, the first
 * one included, so `fixedDelay(3, …)` runs an operation at most three times.
 */
export class RetryPolicy {
  /** One attempt, no retry. */
  static readonly none = new RetryPolicy('none', 1, () => stop);

  static fixedDelay(maxAttempts: number, delayMs: number): RetryPolicy {
    assertAttempts(maxAttempts);
    assertDelay('delayMs', delayMs);
    return new RetryPolicy('fixed', maxAttempts, (s) =>
      s.attempt < maxAttempts ? { retry: true, delayMs } : stop,
    );
  }

  /** Delay before retry n (n = attempts so far) = initialDelayMs × multiplier^(n−1), capped, optionally jittered. */
  static exponential(
    maxAttempts: number,
    initialDelayMs: number,
    options: ExponentialRetryOptions = {},
  ): RetryPolicy {
    assertAttempts(maxAttempts);
    assertDelay('initialDelayMs', initialDelayMs);
    const multiplier = options.multiplier ?? 2;
    if (!(multiplier > 1)) throw new RangeError('multiplier must be greater than 1.');
    if (options.maxDelayMs !== undefined) assertDelay('maxDelayMs', options.maxDelayMs);
    const jitter = options.jitter ?? 0;
    if (!(jitter >= 0 && jitter <= 1)) throw new RangeError('jitter must be between 0 and 1.');
    if (jitter > 0 && !options.random)
      throw new TypeError('A jittered policy needs an injected random source.');
    const random = options.random;
    return new RetryPolicy('exponential', maxAttempts, (s) => {
      if (s.attempt >= maxAttempts) return stop;
      const proposed = initialDelayMs * multiplier ** Math.max(0, s.attempt - 1);
      const capped = options.maxDelayMs === undefined ? proposed : Math.min(options.maxDelayMs, proposed);
      const jittered = jitter > 0 && random ? capped * (1 - jitter * random()) : capped;
      return { retry: true, delayMs: Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, jittered)) };
    });
  }

  /** Retries at each next occurrence of a cron expression (croner syntax), up to `maxAttempts` in total. */
  static cron(expression: string, options: { timezone?: string; maxAttempts?: number } = {}): RetryPolicy {
    const maxAttempts = options.maxAttempts ?? Number.MAX_SAFE_INTEGER;
    assertAttempts(maxAttempts);
    // Validate eagerly so a bad expression fails where the policy is built.
    cronNext(expression, 0, options.timezone);
    return new RetryPolicy('cron', maxAttempts, (s) => {
      if (s.attempt >= maxAttempts) return stop;
      const at = cronNext(expression, s.now, options.timezone);
      return at === undefined ? stop : { retry: true, at };
    });
  }

  /** Any rule: return a decision from the state. `maxAttempts` is informative only. */
  static custom(
    decide: (state: RetryState) => RetryDecision,
    maxAttempts = Number.MAX_SAFE_INTEGER,
  ): RetryPolicy {
    return new RetryPolicy('custom', maxAttempts, decide);
  }

  private constructor(
    readonly kind: string,
    readonly maxAttempts: number,
    private readonly decide: (state: RetryState) => RetryDecision,
  ) {}

  evaluate(state: RetryState): RetryDecision {
    return this.decide(state);
  }
}

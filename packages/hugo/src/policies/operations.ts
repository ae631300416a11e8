import { abortScope } from '../abort-scope.js';
import { type Clock, systemClock } from '../clock.js';
import { isCancellation } from '../result/cancellation.js';
import { ErrorCodes, HugoError } from '../result/error.js';
import { type Awaitable, fail, type Result } from '../result/result.js';
import { runCompensation } from './compensation.js';
import type { StepOperation } from './context.js';
import { type ExecutionOptions, executeStep } from './executor.js';
import { ResultExecutionPolicy } from './policy.js';
import { RetryPolicy } from './retry.js';
import { whenAll, type WhenAllOptions, whenAny } from './when.js';

/**
 * Runs one operation under a policy. Hugo's `Result.RetryWithPolicyAsync`: after the final failure the last
 * attempt's compensations run; a compensation error makes the outcome
 * `aggregate("Operation failed and its compensation failed.", failure, compensationError)`.
 */
export async function retryWithPolicy<T>(
  operation: StepOperation<T>,
  options: ExecutionOptions & { stepName?: string } = {},
): Promise<Result<T>> {
  const policy = options.policy ?? ResultExecutionPolicy.default;
  const { result, compensation } = await executeStep(
    operation,
    options.stepName ?? 'retry',
    policy,
    options.clock ?? systemClock,
    options.signal,
  );
  if (result.ok) {
    compensation.clear();
    return result;
  }
  const compensationSignal = options.signal?.aborted ? undefined : options.signal;
  const compensationError = await runCompensation(policy.compensation, compensation, compensationSignal);
  if (!compensationError) return result;
  return fail(
    HugoError.aggregate('Operation failed and its compensation failed.', result.error, compensationError),
  );
}

/**
 * Runs `operation` with a deadline on the clock. Hugo's `Go.WithTimeoutAsync`: when the deadline passes the
 * operation's signal is aborted, the operation is awaited to the end, and the outcome is `error.timeout`
 * (metadata `duration`). The caller's own abort gives `error.canceled`; a throw gives `error.exception`.
 */
export async function runWithTimeout<T>(
  operation: (signal: AbortSignal) => Awaitable<Result<T>>,
  timeoutMs: number,
  options: { clock?: Clock; signal?: AbortSignal } = {},
): Promise<Result<T>> {
  if (!(timeoutMs >= 0)) throw new RangeError('timeoutMs must be a non-negative number.');
  const outer = options.signal;
  if (outer?.aborted) return fail(HugoError.canceled(undefined, outer));
  const clock = options.clock ?? systemClock;
  const scope = abortScope(outer, {
    clock,
    ms: timeoutMs,
    reason: () => new DOMException('The operation timed out.', 'TimeoutError'),
  });
  let outcome: Result<T>;
  try {
    outcome = await operation(scope.signal);
  } catch (thrown) {
    outcome =
      isCancellation(thrown, scope.signal) ||
      (thrown instanceof DOMException && thrown.name === 'TimeoutError')
        ? fail(HugoError.canceled(undefined, scope.signal))
        : fail(HugoError.fromException(thrown));
  } finally {
    scope.dispose();
  }
  if (scope.timedOut) return fail(HugoError.timeout(timeoutMs));
  if (outer?.aborted && !outcome.ok && outcome.error.code === ErrorCodes.Canceled) {
    return fail(HugoError.canceled(undefined, outer));
  }
  return outcome;
}

export interface RetryOperationOptions {
  /** Total attempts, the first included. Default 3. */
  maxAttempts?: number;
  /** Delay before the second attempt; doubles after each further failure. Default 100 ms. */
  initialDelayMs?: number;
  multiplier?: number;
  maxDelayMs?: number;
  clock?: Clock;
  signal?: AbortSignal;
}

/**
 * Retries `operation(attempt, signal)` with exponential backoff. Hugo's `Go.RetryAsync`.
 * Deliberate difference: a throw is `error.exception` and is NOT retried (Hugo's `RetryAsync` retries throws
 * while its policy path does not; Odin applies the policy rule everywhere). Cancellation stops retrying.
 */
export function retryOperation<T>(
  operation: (attempt: number, signal: AbortSignal) => Awaitable<Result<T>>,
  options: RetryOperationOptions = {},
): Promise<Result<T>> {
  const retry = RetryPolicy.exponential(options.maxAttempts ?? 3, options.initialDelayMs ?? 100, {
    multiplier: options.multiplier ?? 2,
    ...(options.maxDelayMs === undefined ? {} : { maxDelayMs: options.maxDelayMs }),
  });
  let attempt = 0;
  return retryWithPolicy((_ctx, signal) => operation(++attempt, signal), {
    policy: ResultExecutionPolicy.none.withRetry(retry),
    stepName: 'go.retry',
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** Hugo's `Go.FanOutAsync` over operations: `whenAll`. */
export function fanOutOperations<T>(
  operations: readonly StepOperation<T>[],
  options: WhenAllOptions = {},
): Promise<Result<T[]>> {
  return whenAll(operations, options);
}

/** Hugo's `Go.RaceAsync`: `whenAny`. */
export function raceOperations<T>(
  operations: readonly StepOperation<T>[],
  options: ExecutionOptions = {},
): Promise<Result<T>> {
  return whenAny(operations, options);
}

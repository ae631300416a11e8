import { durationMs, toProtoDuration } from './duration.js';
import type { RetryPolicy } from './definitions.js';
import type { IRetryPolicy } from './proto-types.js';

export function toProtoRetryPolicy(policy: RetryPolicy | undefined): IRetryPolicy | undefined {
  if (!policy) return undefined;
  if (policy.backoffCoefficient !== undefined && policy.backoffCoefficient < 1) {
    throw new TypeError('RetryPolicy.backoffCoefficient must be >= 1');
  }
  if (
    policy.maximumAttempts !== undefined &&
    (!Number.isInteger(policy.maximumAttempts) || policy.maximumAttempts < 0)
  ) {
    throw new TypeError('RetryPolicy.maximumAttempts must be an integer >= 0 (0 = unlimited)');
  }
  return {
    initialInterval: toProtoDuration(policy.initialInterval) ?? null,
    backoffCoefficient: policy.backoffCoefficient ?? null,
    maximumInterval: toProtoDuration(policy.maximumInterval) ?? null,
    maximumAttempts: policy.maximumAttempts ?? null,
    nonRetryableErrorTypes: policy.nonRetryableErrorTypes ?? [],
  };
}

/**
 * How long to wait before retrying attempt `attempt` (1-based) that failed with `failure`, or undefined when it
 * must not be retried: Temporal's rule — maximum attempts reached, a non-retryable application failure or one of
 * the policy's non-retryable types (case-insensitively), else `initial × coefficient^(attempt-1)` capped at the
 * maximum interval. Defaults: 1 s initial interval, coefficient 2, maximum 100 × initial, unlimited attempts.
 */
export function retryDelayMs(
  policy: RetryPolicy | undefined,
  attempt: number,
  failure: { type?: string | null; nonRetryable?: boolean | null } | undefined,
): number | undefined {
  const maximumAttempts = policy?.maximumAttempts ?? 0;
  if (maximumAttempts > 0 && attempt >= maximumAttempts) return undefined;
  if (failure?.nonRetryable) return undefined;
  const type = (failure?.type ?? '').toLowerCase();
  if ((policy?.nonRetryableErrorTypes ?? []).some((t) => t.toLowerCase() === type)) return undefined;
  const initial = policy?.initialInterval === undefined ? 1000 : durationMs(policy.initialInterval);
  const coefficient = Math.max(1, policy?.backoffCoefficient ?? 2);
  const maximum = Math.max(
    initial,
    policy?.maximumInterval === undefined ? initial * 100 : durationMs(policy.maximumInterval),
  );
  return Math.min(initial * coefficient ** (attempt - 1), maximum);
}

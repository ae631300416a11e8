import { toProtoDuration } from './duration.js';
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

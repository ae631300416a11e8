import { CompensationPolicy } from './compensation.js';
import { RetryPolicy } from './retry.js';

/**
 * Retry plus compensation for a step or a pipeline. Hugo's `ResultExecutionPolicy`.
 *
 * Deliberate difference: when no compensation policy is given, Odin runs compensations last-in-first-out
 * (`CompensationPolicy.sequentialReverse`); Hugo silently drops them. Use `CompensationPolicy.none` to opt out.
 */
export class ResultExecutionPolicy {
  /** No retry; compensations run in reverse order. What every API uses when given no policy. */
  static readonly default = new ResultExecutionPolicy(RetryPolicy.none, CompensationPolicy.sequentialReverse);
  /** Hugo's `None`: no retry and compensations dropped. */
  static readonly none = new ResultExecutionPolicy(RetryPolicy.none, CompensationPolicy.none);

  readonly retry: RetryPolicy;
  readonly compensation: CompensationPolicy;

  constructor(retry?: RetryPolicy, compensation?: CompensationPolicy) {
    this.retry = retry ?? RetryPolicy.none;
    this.compensation = compensation ?? CompensationPolicy.sequentialReverse;
    Object.freeze(this);
  }

  withRetry(retry: RetryPolicy): ResultExecutionPolicy {
    return new ResultExecutionPolicy(retry, this.compensation);
  }

  withCompensation(compensation: CompensationPolicy): ResultExecutionPolicy {
    return new ResultExecutionPolicy(this.retry, compensation);
  }

  static withRetry(retry: RetryPolicy): ResultExecutionPolicy {
    return ResultExecutionPolicy.default.withRetry(retry);
  }

  static withCompensation(compensation: CompensationPolicy): ResultExecutionPolicy {
    return ResultExecutionPolicy.default.withCompensation(compensation);
  }
}

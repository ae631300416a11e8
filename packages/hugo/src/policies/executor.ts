import type { Clock } from '../clock.js';
import { systemClock } from '../clock.js';
import { isCancellation } from '../result/cancellation.js';
import { ErrorCodes, HugoError } from '../result/error.js';
import { fail, type Result } from '../result/result.js';
import { CompensationScope } from './compensation.js';
import { createStepContext, type StepOperation } from './context.js';
import { ResultExecutionPolicy } from './policy.js';
import { absorbAttachedCompensations } from './result-compensation.js';

/** Options every policy-driven helper accepts. */
export interface ExecutionOptions {
  policy?: ResultExecutionPolicy;
  clock?: Clock;
  signal?: AbortSignal;
}

/** The outcome of one step and the compensations its successful attempt registered. */
export interface StepOutcome<T> {
  readonly result: Result<T>;
  readonly compensation: CompensationScope;
}

const neverAborted = new AbortController().signal;

/**
 * Runs `operation` under the policy's retry rule. Hugo's `ExecuteWithPolicyAsync`, with one rule for throws:
 *
 * - Every attempt gets a fresh compensation scope; a failed attempt's compensations are dropped.
 * - A returned failure is retried while the retry policy says so.
 * - A THROW is a bug, not an expected failure: it becomes `error.exception` and is never retried.
 * - Cancellation (a returned `error.canceled`, an AbortError, or the signal firing, also during a retry delay)
 *   ends the step with `error.canceled` and is never retried.
 *
 * Never throws.
 */
export async function executeStep<T>(
  operation: StepOperation<T>,
  stepName: string,
  policy: ResultExecutionPolicy = ResultExecutionPolicy.default,
  clock: Clock = systemClock,
  signal: AbortSignal = neverAborted,
): Promise<StepOutcome<T>> {
  const errors: HugoError[] = [];
  for (let attempt = 1; ; attempt++) {
    const scope = new CompensationScope();
    if (signal.aborted) return { result: fail(HugoError.canceled(undefined, signal)), compensation: scope };
    let result: Result<T>;
    try {
      result = await operation(createStepContext(stepName, scope, clock, signal), signal);
    } catch (thrown) {
      const error = isCancellation(thrown, signal)
        ? HugoError.canceled(undefined, signal)
        : HugoError.fromException(thrown).withMetadata({ stepName, attempt });
      return { result: fail(error), compensation: scope };
    }
    absorbAttachedCompensations(result, scope);
    if (result.ok || result.error.code === ErrorCodes.Canceled) return { result, compensation: scope };

    errors.push(result.error);
    const decision = policy.retry.evaluate({ attempt, error: result.error, errors, now: clock.now() });
    if (!decision.retry) return { result, compensation: scope };
    const wait = 'delayMs' in decision ? decision.delayMs : decision.at - clock.now();
    scope.clear();
    if (wait > 0) {
      try {
        await clock.sleep(wait, signal);
      } catch {
        return { result: fail(HugoError.canceled(undefined, signal)), compensation: new CompensationScope() };
      }
    }
  }
}

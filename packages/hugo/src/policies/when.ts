import { abortScope } from '../abort-scope.js';
import { systemClock } from '../clock.js';
import { ErrorCodes, HugoError } from '../result/error.js';
import { fail, ok, type Result } from '../result/result.js';
import { CompensationScope, runCompensation } from './compensation.js';
import type { StepOperation } from './context.js';
import { type ExecutionOptions, executeStep, type StepOutcome } from './executor.js';
import { ResultExecutionPolicy } from './policy.js';

export interface WhenAllOptions extends ExecutionOptions {
  /**
   * 'wait-all' (Hugo): every operation runs to the end, no sibling is aborted. 'fail-fast': the first failure
   * aborts the siblings (they still finish, so their compensations are known).
   */
  mode?: 'wait-all' | 'fail-fast';
}

/**
 * Runs every operation concurrently and collects their values in input order. Hugo's `Result.WhenAll`.
 * On failure the successful operations' compensations run through the policy; the error is the single failure or
 * `aggregate("One or more operations failed.")` (a compensation error joins the list). When the caller's signal
 * fired the result is `error.canceled`, with any real failures under metadata `whenall.partialFailures`.
 */
export async function whenAll<T>(
  operations: readonly StepOperation<T>[],
  options: WhenAllOptions = {},
): Promise<Result<T[]>> {
  if (operations.length === 0) return ok([]);
  const policy = options.policy ?? ResultExecutionPolicy.default;
  const clock = options.clock ?? systemClock;
  const outer = options.signal;
  const failFast = options.mode === 'fail-fast';
  const link = abortScope(outer);
  let firstFailure: HugoError | undefined;
  let outcomes: StepOutcome<T>[];
  try {
    outcomes = await Promise.all(
      operations.map(async (op, i) => {
        const outcome = await executeStep(op, `whenall[${i}]`, policy, clock, link.signal);
        if (!outcome.result.ok && firstFailure === undefined) {
          firstFailure = outcome.result.error;
          if (failFast) link.abort(new DOMException('A sibling operation failed.', 'AbortError'));
        }
        return outcome;
      }),
    );
  } finally {
    link.dispose();
  }

  const pipeline = new CompensationScope();
  const values: T[] = [];
  const errors: HugoError[] = [];
  for (const { result, compensation } of outcomes) {
    if (result.ok) {
      pipeline.absorb(compensation);
      values.push(result.value);
    } else {
      compensation.clear();
      errors.push(result.error);
    }
  }
  if (errors.length === 0) return ok(values);

  const callerCanceled = outer?.aborted === true;
  const compensationError = await runCompensation(
    policy.compensation,
    pipeline,
    callerCanceled ? undefined : outer,
  );
  if (callerCanceled) {
    // The caller's cancellation dominates; real failures seen on the way are kept as metadata (Hugo's
    // `whenall.partialFailures`).
    const partial = errors.filter((e) => e.code !== ErrorCodes.Canceled);
    if (compensationError) partial.push(compensationError);
    const canceled = HugoError.canceled(undefined, outer);
    return fail(partial.length === 0 ? canceled : canceled.withMetadata('whenall.partialFailures', partial));
  }
  // In fail-fast mode the siblings we aborted report cancellations that are not failures of their own.
  const reported = failFast && firstFailure ? [firstFailure] : errors;
  if (compensationError) reported.push(compensationError);
  return fail(
    reported.length === 1 ? reported[0] : HugoError.aggregate('One or more operations failed.', ...reported),
  );
}

/**
 * Runs the operations concurrently; the first success wins and aborts the rest. Hugo's `Result.WhenAny`.
 * Successes that arrive after the winner are compensated; aborted losers are ignored. With no winner the error
 * is the single failure or `aggregate("All operations failed.")` (`error.canceled` when all were canceled). A
 * compensation error turns the outcome into a failure. Empty input → `error.validation`.
 */
export async function whenAny<T>(
  operations: readonly StepOperation<T>[],
  options: ExecutionOptions = {},
): Promise<Result<T>> {
  if (operations.length === 0) return fail(HugoError.validation('No operations provided for WhenAny.'));
  const outer = options.signal;
  if (outer?.aborted) return fail(HugoError.canceled(undefined, outer));
  const policy = options.policy ?? ResultExecutionPolicy.default;
  const clock = options.clock ?? systemClock;
  const link = abortScope(outer);
  let winner: Result<T> | undefined;
  const errors: HugoError[] = [];
  const secondary: HugoError[] = [];
  const compensations: Promise<void>[] = [];

  const compensate = (scope: CompensationScope) => {
    compensations.push(
      runCompensation(policy.compensation, scope, outer).then((e) => {
        if (e) secondary.push(e);
      }),
    );
  };

  try {
    await Promise.all(
      operations.map(async (op, i) => {
        const { result, compensation } = await executeStep(op, `whenany[${i}]`, policy, clock, link.signal);
        if (result.ok) {
          if (winner === undefined) {
            winner = result;
            compensation.clear();
            link.abort(new DOMException('Another operation won the race.', 'AbortError'));
          } else {
            compensate(compensation);
          }
          return;
        }
        if (result.error.code === ErrorCodes.Canceled) {
          // A loser that registered undo work before noticing the abort is undone like a late success.
          if (winner !== undefined) compensate(compensation);
          else compensation.clear();
          return;
        }
        compensation.clear();
        if (winner === undefined) errors.push(result.error);
      }),
    );
    await Promise.all(compensations);
  } finally {
    link.dispose();
  }

  if (winner === undefined) {
    if (errors.length === 0)
      return fail(HugoError.from('All operations were canceled.', ErrorCodes.Canceled));
    return fail(errors.length === 1 ? errors[0] : HugoError.aggregate('All operations failed.', ...errors));
  }
  if (secondary.length > 0) {
    return fail(
      secondary.length === 1
        ? secondary[0]
        : HugoError.aggregate('One or more secondary operations failed.', ...secondary),
    );
  }
  return winner;
}

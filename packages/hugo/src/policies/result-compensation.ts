import type { Awaitable, Result } from '../result/result.js';
import type { CompensationAction, CompensationScope } from './compensation.js';

// Kept beside the result rather than on it, so a result with compensations still equals the same plain result.
const attached = new WeakMap<Result<unknown>, readonly CompensationAction[]>();

/**
 * Hugo's `Result.WithCompensation`: a copy of `result` that carries an undo action. When a step operation returns
 * it, the step executor absorbs the action into that attempt's compensation scope, exactly as if the operation had
 * called `ctx.registerCompensation`. Only the returned object carries it: combinators build new results without it,
 * as Hugo's `CastFailure` drops it.
 */
export function resultWithCompensation<T>(result: Result<T>, action: CompensationAction): Result<T>;
export function resultWithCompensation<T, S>(
  result: Result<T>,
  state: S,
  action: (state: S, signal: AbortSignal | undefined) => Awaitable<void>,
): Result<T>;
export function resultWithCompensation<T, S>(
  result: Result<T>,
  stateOrAction: S | CompensationAction,
  action?: (state: S, signal: AbortSignal | undefined) => Awaitable<void>,
): Result<T> {
  const undo: CompensationAction = action
    ? (signal) => action(stateOrAction as S, signal)
    : (stateOrAction as CompensationAction);
  if (typeof undo !== 'function') throw new TypeError('A compensation must be a function.');
  const copy: Result<T> = Object.freeze({ ...result });
  attached.set(copy, [...attachedCompensations(result), undo]);
  return copy;
}

/** The undo actions carried by `result`, in the order they were attached. */
export function attachedCompensations(result: Result<unknown>): readonly CompensationAction[] {
  return attached.get(result) ?? [];
}

/** Moves the actions `result` carries into `scope` (the executor's "absorb"). */
export function absorbAttachedCompensations(result: Result<unknown>, scope: CompensationScope): void {
  for (const action of attachedCompensations(result)) scope.register(action);
}

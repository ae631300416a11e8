import type { Clock } from '../clock.js';
import type { Awaitable, Result } from '../result/result.js';
import type { CompensationAction, CompensationScope } from './compensation.js';

/** What a pipeline step receives. Hugo's `ResultPipelineStepContext`. */
export interface StepContext {
  readonly stepName: string;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  /** Registers an undo action for this attempt; it runs only if the pipeline later fails (per policy). */
  registerCompensation(action: CompensationAction): void;
  registerCompensation<S>(
    state: S,
    action: (state: S, signal: AbortSignal | undefined) => Awaitable<void>,
  ): void;
}

/** A pipeline-aware operation: Hugo's `Func<ResultPipelineStepContext, CancellationToken, ValueTask<Result<T>>>`. */
export type StepOperation<T> = (context: StepContext, signal: AbortSignal) => Awaitable<Result<T>>;

export function createStepContext(
  stepName: string,
  scope: CompensationScope,
  clock: Clock,
  signal: AbortSignal,
): StepContext {
  return {
    stepName,
    clock,
    signal,
    registerCompensation<S>(
      stateOrAction: S | CompensationAction,
      action?: (state: S, signal: AbortSignal | undefined) => Awaitable<void>,
    ): void {
      if (action) scope.register(stateOrAction as S, action);
      else scope.register(stateOrAction as CompensationAction);
    },
  };
}

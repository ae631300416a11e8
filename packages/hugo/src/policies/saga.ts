import { type Clock, systemClock } from '../clock.js';
import { throwIfAborted } from '../result/cancellation.js';
import { HugoError } from '../result/error.js';
import { type Awaitable, fail, ok, type Result } from '../result/result.js';
import { CompensationScope, runCompensation } from './compensation.js';
import type { StepContext } from './context.js';
import { executeStep } from './executor.js';
import { ResultExecutionPolicy } from './policy.js';

/** The values saga steps produced, by key. Hugo's `ResultSagaState`. */
export class SagaState {
  private readonly values = new Map<string, unknown>();

  set(key: string, value: unknown): void {
    this.values.set(key, value);
  }

  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  keys(): string[] {
    return [...this.values.keys()];
  }
}

/** A saga step's context: the pipeline context plus the shared state. */
export interface SagaStepContext extends StepContext {
  readonly state: SagaState;
}

type SagaStep = {
  readonly name: string;
  readonly run: (context: SagaStepContext, signal: AbortSignal) => Promise<Result<unknown>>;
};

/**
 * Builds a saga: steps run in order; each success stores its value under its key and registers its compensation;
 * the first failure runs the registered compensations through the policy (reverse order by default) and ends the
 * saga. Hugo's `ResultSagaBuilder`.
 */
export class SagaBuilder {
  private readonly steps: SagaStep[] = [];

  addStep<S>(
    name: string,
    operation: (context: SagaStepContext, signal: AbortSignal) => Awaitable<Result<S>>,
    compensation?: (value: S, signal: AbortSignal | undefined) => Awaitable<void>,
    resultKey?: string,
  ): this {
    if (!name.trim()) throw new TypeError('A saga step needs a name.');
    const key = resultKey?.trim() ? resultKey : name;
    this.steps.push({
      name,
      run: async (context, signal) => {
        const result = await operation(context, signal);
        if (result.ok) {
          context.state.set(key, result.value);
          if (compensation) context.registerCompensation(result.value, compensation);
        }
        return result;
      },
    });
    return this;
  }

  /**
   * Runs the saga. Empty → `error.validation`. An already-aborted signal THROWS its reason (as Hugo does with a
   * pre-cancelled token); an abort between steps throws too. A compensation error becomes
   * `aggregate("Saga execution failed.", failure, compensationError)`.
   */
  async execute(
    options: { policy?: ResultExecutionPolicy; clock?: Clock; signal?: AbortSignal } = {},
  ): Promise<Result<SagaState>> {
    if (this.steps.length === 0) return fail(HugoError.validation('Saga contains no steps.'));
    const policy = options.policy ?? ResultExecutionPolicy.default;
    const clock = options.clock ?? systemClock;
    const signal = options.signal ?? new AbortController().signal;
    const state = new SagaState();
    const scope = new CompensationScope();
    for (const step of this.steps) {
      throwIfAborted(signal);
      const { result, compensation } = await executeStep(
        (ctx, s) => step.run({ ...ctx, registerCompensation: ctx.registerCompensation, state }, s),
        step.name,
        policy,
        clock,
        signal,
      );
      if (result.ok) {
        scope.absorb(compensation);
        continue;
      }
      compensation.clear();
      const compensationError = await runCompensation(
        policy.compensation,
        scope,
        signal.aborted ? undefined : signal,
      );
      return fail(
        compensationError
          ? HugoError.aggregate('Saga execution failed.', result.error, compensationError)
          : result.error,
      );
    }
    scope.clear();
    return ok(state);
  }
}

export function createSaga(): SagaBuilder {
  return new SagaBuilder();
}

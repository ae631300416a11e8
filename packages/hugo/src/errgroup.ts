import { type AbortScope, abortScope } from './abort-scope.js';
import { type Clock, systemClock } from './clock.js';
import { type CompensationScope, runCompensation } from './policies/compensation.js';
import type { StepOperation } from './policies/context.js';
import { executeStep } from './policies/executor.js';
import { ResultExecutionPolicy } from './policies/policy.js';
import { isCancellation } from './result/cancellation.js';
import { HugoError } from './result/error.js';
import { type Awaitable, fail, isResult, ok, type Result } from './result/result.js';

/** Work for `ErrGroup.go`: a Result (a failure is recorded) or nothing (success). */
export type ErrGroupWork = (signal: AbortSignal) => Awaitable<Result<unknown> | unknown>;

export interface ErrGroupStepOptions {
  stepName?: string;
  policy?: ResultExecutionPolicy;
  clock?: Clock;
}

/**
 * Go's errgroup, after Hugo's `ErrGroup`: tracked concurrent work where the first error wins and aborts `signal`.
 * Failures, throws (`error.exception`) and cancellations are all captured; `wait()` never throws.
 */
export class ErrGroup implements Disposable {
  private readonly scope: AbortScope;
  private readonly parent: AbortSignal | undefined;
  private firstError: HugoError | undefined;
  private outstanding = 0;
  private idle: { promise: Promise<void>; resolve: () => void } | undefined;
  private disposed = false;

  constructor(signal?: AbortSignal) {
    this.parent = signal;
    this.scope = abortScope(signal);
  }

  /** Aborted when the group is canceled, its parent signal aborts, or any work fails. */
  get signal(): AbortSignal {
    return this.scope.signal;
  }

  /** The first error recorded, if any. */
  get error(): HugoError | undefined {
    return this.firstError;
  }

  /** Number of functions started and not yet finished. */
  get pending(): number {
    return this.outstanding;
  }

  /** Starts `work` now and tracks it. Hugo's `Go` overloads (Result, Task, Action) all collapse into this one. */
  go(work: ErrGroupWork): void {
    this.track(async () => {
      try {
        const result = await work(this.signal);
        if (isResult(result) && !result.ok) this.trySetError(result.error);
      } catch (thrown) {
        this.trySetError(
          isCancellation(thrown, this.signal)
            ? HugoError.canceled(undefined, this.signal)
            : HugoError.fromException(thrown),
        );
      }
    });
  }

  /**
   * Starts a pipeline step under a retry/compensation policy. On failure the error is recorded first, which aborts
   * the peers, and only then does the step's compensation run (under the parent signal, not the group's, which has
   * just been aborted). A compensation error replaces the recorded error with
   * `aggregate("ErrGroup step failed with compensation error.", failure, compensationError)`.
   */
  goStep(work: StepOperation<unknown>, options: ErrGroupStepOptions = {}): void {
    const policy = options.policy ?? ResultExecutionPolicy.default;
    const stepName = options.stepName?.trim() ? options.stepName : 'errgroup.step';
    this.track(async () => {
      const { result, compensation } = await executeStep(
        work,
        stepName,
        policy,
        options.clock ?? systemClock,
        this.signal,
      );
      if (result.ok) {
        compensation.clear();
        return;
      }
      const won = this.trySetError(result.error);
      const compensationError = await this.compensate(policy, compensation);
      if (compensationError) {
        const combined = HugoError.aggregate(
          'ErrGroup step failed with compensation error.',
          result.error,
          compensationError,
        );
        if (won) this.firstError = combined;
      }
    });
  }

  /** Waits for every started function; Ok, the first error, or `error.canceled` when `signal` aborts the wait. */
  async wait(signal?: AbortSignal): Promise<Result<void>> {
    if (this.outstanding > 0) {
      const idle = this.idlePromise();
      if (signal) {
        if (signal.aborted) return fail(HugoError.canceled(undefined, signal));
        let onAbort: (() => void) | undefined;
        const aborted = new Promise<'aborted'>((resolve) => {
          onAbort = () => resolve('aborted');
          signal.addEventListener('abort', onAbort, { once: true });
        });
        const winner = await Promise.race([idle.then(() => 'idle' as const), aborted]);
        signal.removeEventListener('abort', onAbort!);
        if (winner === 'aborted') return fail(HugoError.canceled(undefined, signal));
      } else {
        await idle;
      }
    }
    return this.firstError ? fail(this.firstError) : ok();
  }

  /** Aborts the group; records `canceled("ErrGroup was canceled.")` unless an error is already recorded. */
  cancel(): void {
    this.trySetError(HugoError.canceled('ErrGroup was canceled.'));
    this.scope.abort();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Detaches from the parent signal; later `go` calls throw. Running work is not aborted. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.scope.dispose();
  }

  private async compensate(
    policy: ResultExecutionPolicy,
    scope: CompensationScope,
  ): Promise<HugoError | undefined> {
    return runCompensation(policy.compensation, scope, this.parent?.aborted ? undefined : this.parent);
  }

  private track(run: () => Promise<void>): void {
    if (this.disposed) throw new Error('ErrGroup has been disposed.');
    this.outstanding++;
    // Start on a microtask so `go` returns before the work runs, like Task.Run.
    void Promise.resolve()
      .then(run)
      .catch((thrown) => this.trySetError(HugoError.fromException(thrown)))
      .finally(() => {
        this.outstanding--;
        if (this.outstanding === 0 && this.idle) {
          this.idle.resolve();
          this.idle = undefined;
        }
      });
  }

  private idlePromise(): Promise<void> {
    if (!this.idle) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      this.idle = { promise, resolve };
    }
    return this.idle.promise;
  }

  private trySetError(error: HugoError): boolean {
    if (this.firstError) return false;
    this.firstError = error;
    this.scope.abort(new DOMException(error.message, 'AbortError'));
    return true;
  }
}

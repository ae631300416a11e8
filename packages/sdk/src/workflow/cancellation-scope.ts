import type { Duration } from '../common/duration.js';
import { CancelledFailure } from '../common/failure.js';
import { IllegalStateError } from './errors.js';
import { sharedStorage } from './shared-storage.js';

/**
 * The innermost CancellationScope of the executing workflow code. The runtime enters every run with the run's
 * root scope set here, so inside workflow code there always is one.
 */
export const scopeStorage = sharedStorage<CancellationScope>('odin.sdk.workflow.scope');

/** Durable timers of the run a scope belongs to (what `withTimeout` starts its deadline with). */
export interface ScopeTimers {
  start(delay: Duration, scope: CancellationScope): Promise<void>;
}

export interface CancellationScopeOptions {
  /** false: cancelling the parent does not cancel this scope. */
  cancellable?: boolean;
  parent?: CancellationScope;
  /** The run's durable timers; set on a run's root scope by the runtime, inherited by every other scope. */
  timers?: ScopeTimers;
}

/**
 * A tree of cancellation inside a workflow. Cancelling a scope cancels its cancellable children and every timer,
 * activity, child workflow and condition started in it. The workflow's root scope is cancelled when the workflow
 * receives a cancel request. `signal` is a plain AbortSignal, so Hugo primitives accept it.
 */
export class CancellationScope {
  readonly cancellable: boolean;
  readonly parent: CancellationScope | undefined;
  readonly timers: ScopeTimers | undefined;
  private readonly controller = new AbortController();
  /** Rejects with CancelledFailure when the scope is cancelled. */
  readonly cancelRequested: Promise<never>;
  private rejectCancelRequested!: (reason: unknown) => void;

  constructor(options: CancellationScopeOptions = {}) {
    this.cancellable = options.cancellable ?? true;
    this.parent = options.parent;
    // A scope belongs to the run it is created in, with or without a parent.
    this.timers = options.timers ?? options.parent?.timers ?? scopeStorage.getStore()?.timers;
    this.cancelRequested = new Promise<never>((_, reject) => {
      this.rejectCancelRequested = reject;
    });
    // Callers may never await it; an unobserved cancellation is not an error.
    this.cancelRequested.catch(() => undefined);
    if (this.cancellable && this.parent) {
      if (this.parent.consideredCancelled) this.cancel(this.parent.signal.reason);
      else
        this.parent.signal.addEventListener('abort', () => this.cancel(this.parent?.signal.reason), {
          once: true,
        });
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get consideredCancelled(): boolean {
    return this.controller.signal.aborted;
  }

  cancel(reason?: unknown): void {
    if (this.controller.signal.aborted) return;
    const failure =
      reason instanceof CancelledFailure ? reason : new CancelledFailure('Cancellation scope cancelled');
    this.rejectCancelRequested(failure);
    this.controller.abort(failure);
  }

  /** Calls `onCancel` once when the scope is cancelled; returns the unsubscribe function. */
  onCancel(onCancel: (reason: CancelledFailure) => void): () => void {
    const listener = () => onCancel(this.signal.reason as CancelledFailure);
    this.signal.addEventListener('abort', listener, { once: true });
    return () => this.signal.removeEventListener('abort', listener);
  }

  /** Runs `fn` with this scope as the current one. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return scopeStorage.run(this, fn);
  }

  /** The innermost scope of the executing workflow code. */
  static current(): CancellationScope {
    const scope = scopeStorage.getStore();
    if (!scope)
      throw new IllegalStateError('CancellationScope.current may only be called from workflow code');
    return scope;
  }

  static cancellable<T>(fn: () => Promise<T>): Promise<T> {
    return new CancellationScope({ cancellable: true, parent: CancellationScope.current() }).run(fn);
  }

  static nonCancellable<T>(fn: () => Promise<T>): Promise<T> {
    return new CancellationScope({ cancellable: false, parent: CancellationScope.current() }).run(fn);
  }

  /** Runs `fn` in a cancellable scope that is cancelled after `timeout` (a durable timer). */
  static withTimeout<T>(timeout: Duration, fn: () => Promise<T>): Promise<T> {
    const timers = scopeStorage.getStore()?.timers;
    if (!timers) {
      throw new IllegalStateError('CancellationScope.withTimeout may only be called from workflow code');
    }
    const scope = new CancellationScope({ cancellable: true, parent: CancellationScope.current() });
    const timerScope = new CancellationScope({ cancellable: true, parent: scope });
    timers
      .start(timeout, timerScope)
      .then(() => scope.cancel(new CancelledFailure('Cancellation scope timed out')))
      .catch(() => undefined);
    return scope.run(fn).finally(() => timerScope.cancel());
  }
}

/** True for a cancellation, also when wrapped as the cause of an activity or child workflow failure. */
export function isCancellation(error: unknown): boolean {
  // By name too: workflow code may have loaded another copy of the SDK (src next to dist).
  if (error instanceof CancelledFailure || (error instanceof Error && error.name === 'CancelledFailure'))
    return true;
  if (error instanceof Error && error.cause !== undefined) return isCancellation(error.cause);
  return false;
}

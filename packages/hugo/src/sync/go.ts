import './internal/dispose.js';
import { abortReason } from '../result/cancellation.js';

/**
 * Hugo's `Go.Run`: starts `fn` now and returns its outcome as a promise. There is no scheduler to pick in
 * JavaScript, so this is just a call, but it keeps Hugo's contract: an already-aborted signal gives a rejected
 * promise without running `fn`, and a synchronous throw becomes a rejection.
 */
export function run<T>(
  fn: (signal?: AbortSignal) => T | PromiseLike<T>,
  signal?: AbortSignal,
): Promise<Awaited<T>> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  try {
    return Promise.resolve(fn(signal)) as Promise<Awaited<T>>;
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Hugo's `Defer`: `using _ = defer(() => writer.complete());` runs the action when the scope ends. Several
 * deferrals in one scope run last-in first-out, as `using` disposes in reverse order.
 */
export function defer(action: () => void): Disposable {
  let done = false;
  return {
    [Symbol.dispose]() {
      if (done) return;
      done = true;
      action();
    },
  };
}

/** The `await using` form of `defer`, for asynchronous clean-up. */
export function deferAsync(action: () => PromiseLike<void> | void): AsyncDisposable {
  let done = false;
  return {
    async [Symbol.asyncDispose]() {
      if (done) return;
      done = true;
      await action();
    },
  };
}

/**
 * A small stand-in for `DisposableStack` (not in Node 20): collects clean-up actions and runs them in reverse
 * order on `dispose()`. Every action runs even when an earlier one throws; the first error is rethrown after all ran,
 * or an `AggregateError` when several threw.
 */
export class DeferStack implements Disposable {
  private actions: (() => void)[] = [];
  private disposedFlag = false;

  get disposed(): boolean {
    return this.disposedFlag;
  }

  /** Adds an action to run at dispose time. */
  defer(action: () => void): void {
    if (this.disposedFlag) throw new ReferenceError('DeferStack has already been disposed.');
    this.actions.push(action);
  }

  /** Adds a disposable and returns it, so `const x = stack.use(open())` reads naturally. */
  use<D extends Disposable>(resource: D): D {
    this.defer(() => resource[Symbol.dispose]());
    return resource;
  }

  /** Moves every pending action to a new stack, leaving this one empty (ownership transfer). */
  move(): DeferStack {
    const next = new DeferStack();
    next.actions = this.actions;
    this.actions = [];
    return next;
  }

  dispose(): void {
    if (this.disposedFlag) return;
    this.disposedFlag = true;
    const errors: unknown[] = [];
    const actions = this.actions;
    this.actions = [];
    for (let i = actions.length - 1; i >= 0; i--) {
      try {
        actions[i]!();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'Several deferred actions failed.');
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

import type { Clock } from './clock.js';
import './sync/internal/dispose.js';

export interface AbortScopeDeadline {
  readonly clock: Clock;
  /** Abort after this long on `clock`; an infinite value sets no timer. */
  readonly ms: number;
  /** The abort reason when the deadline passes; a standard AbortError when omitted. */
  readonly reason?: () => unknown;
}

/**
 * An abort signal for one piece of work, aborted by its parent signal, by its deadline, or by `abort()`. Dispose it
 * when the work ends: that cancels the timer and detaches from the parent, which may outlive many such scopes.
 */
export interface AbortScope extends Disposable {
  readonly signal: AbortSignal;
  /** True once the deadline, rather than the parent or `abort()`, aborted the scope. */
  readonly timedOut: boolean;
  /** Aborts the scope (no-op when it already is). */
  abort(reason?: unknown): void;
  dispose(): void;
}

export function abortScope(parent?: AbortSignal, deadline?: AbortScopeDeadline): AbortScope {
  const controller = new AbortController();
  let timedOut = false;
  const abort = (reason?: unknown) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const onParentAbort = () => abort(parent!.reason);
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener('abort', onParentAbort, { once: true });
  const timer =
    deadline && Number.isFinite(deadline.ms) && !controller.signal.aborted
      ? deadline.clock.setTimer(deadline.ms, () => {
          if (controller.signal.aborted) return;
          timedOut = true;
          abort(deadline.reason?.());
        })
      : undefined;
  const dispose = () => {
    timer?.cancel();
    parent?.removeEventListener('abort', onParentAbort);
  };
  return {
    signal: controller.signal,
    get timedOut() {
      return timedOut;
    },
    abort,
    dispose,
    [Symbol.dispose]: dispose,
  };
}

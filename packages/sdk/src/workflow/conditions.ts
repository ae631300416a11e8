import type { Duration } from '../common/duration.js';
import { CancellationScope } from './cancellation-scope.js';
import { deferred, handled } from './deferred.js';
import type { Timers } from './timers.js';

interface Condition {
  readonly fn: () => boolean;
  readonly resolve: (value: boolean) => void;
}

/** `condition(fn, timeout?)` waits: re-checked whenever the run settles, timed out by a durable timer. */
export class Conditions {
  private readonly waiting = new Set<Condition>();

  constructor(
    private readonly timers: Timers,
    private readonly fail: (error: unknown) => void,
  ) {}

  /** Resolves true once `fn` holds, or false when `timeout` elapses first; cancelled with the current scope. */
  wait(fn: () => boolean, timeout?: Duration): Promise<boolean> {
    const scope = CancellationScope.current();
    if (scope.consideredCancelled) return handled(Promise.reject(scope.signal.reason));
    const result = deferred<boolean>();
    const timerScope = timeout === undefined ? undefined : new CancellationScope({ parent: scope });
    const entry: Condition = {
      fn,
      resolve: (value) => {
        this.waiting.delete(entry);
        unsubscribe();
        timerScope?.cancel();
        result.resolve(value);
      },
    };
    this.waiting.add(entry);
    const unsubscribe = scope.onCancel((reason) => {
      if (!this.waiting.delete(entry)) return;
      result.reject(reason);
    });
    if (timerScope && timeout !== undefined) {
      this.timers.start(timeout, timerScope).then(
        () => {
          if (this.waiting.has(entry)) entry.resolve(false);
        },
        () => undefined,
      );
    }
    return result.promise;
  }

  /** Resolves every condition that now holds; true when one did (its continuation may change state). */
  resolveHolding(): boolean {
    let any = false;
    for (const entry of [...this.waiting]) {
      let holds = false;
      try {
        holds = entry.fn();
      } catch (error) {
        this.waiting.delete(entry);
        this.fail(error);
        continue;
      }
      if (holds) {
        entry.resolve(true);
        any = true;
      }
    }
    return any;
  }
}

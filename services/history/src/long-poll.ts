import type { Clock } from '@odin/hugo';

/**
 * Waiters for "something was committed on this run" (new events, close, a completed workflow task). A waiter wakes
 * on the next notify of its key, on its timeout, or when its signal aborts; callers re-check state after waking.
 */
export class ChangeWaiters {
  readonly #waiters = new Map<string, Set<() => void>>();

  constructor(private readonly clock: Clock) {}

  /** Resolves true when notified, false on timeout or abort. */
  wait(key: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted || timeoutMs <= 0) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      let set = this.#waiters.get(key);
      if (!set) {
        set = new Set();
        this.#waiters.set(key, set);
      }
      const done = (notified: boolean) => {
        timer.cancel();
        signal?.removeEventListener('abort', onAbort);
        const s = this.#waiters.get(key);
        s?.delete(wake);
        if (s && s.size === 0) this.#waiters.delete(key);
        resolve(notified);
      };
      const wake = () => done(true);
      const onAbort = () => done(false);
      const timer = this.clock.setTimer(timeoutMs, () => done(false));
      signal?.addEventListener('abort', onAbort, { once: true });
      set.add(wake);
    });
  }

  notify(key: string): void {
    const set = this.#waiters.get(key);
    if (!set) return;
    for (const wake of [...set]) wake();
  }

  /** Wakes everyone (shutdown). */
  notifyAll(): void {
    for (const key of [...this.#waiters.keys()]) this.notify(key);
  }
}

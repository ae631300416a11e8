import type { Clock, TimerHandle } from '@odin/hugo';

const MAX_BATCH = 500;

/** Collect keys for `delayMs` on `clock` before deleting them, so one statement covers many acks. */
export interface DeleteDelay {
  clock: Clock;
  delayMs: number;
}

/**
 * Coalesces outbox deletions: keys added while a delete is in flight (or, with a delay, within `delayMs` of the
 * first pending key) go together in the next call, so acking N tasks costs a handful of statements, not N. On
 * embedded SQLite every statement outside a transaction pays its own fsync, so an immediate delete per ack would
 * cost as much as a transition. A failed or late delete is harmless: the row stays "known" to its processor until
 * it is gone, and after a restart the task re-runs and is found stale.
 */
export class BatchDeleter<K> {
  #pending: K[] = [];
  #running: Promise<void> | undefined;
  #timer: TimerHandle | undefined;

  constructor(
    private readonly remove: (keys: K[]) => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
    private readonly onDeleted: (keys: K[]) => void = () => {},
    private readonly delay?: DeleteDelay,
  ) {}

  add(key: K): void {
    this.#pending.push(key);
    if (this.#running) return;
    if (!this.delay || this.delay.delayMs <= 0 || this.#pending.length >= MAX_BATCH) {
      this.#start();
      return;
    }
    this.#timer ??= this.delay.clock.setTimer(this.delay.delayMs, () => {
      this.#timer = undefined;
      if (!this.#running) this.#start();
    });
  }

  /** Resolves when everything added so far is deleted (or failed), without waiting for the delay. */
  async flush(): Promise<void> {
    if (!this.#running && this.#pending.length > 0) this.#start();
    while (this.#running) await this.#running;
  }

  #start(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#running = this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, MAX_BATCH);
        try {
          await this.remove(batch);
        } catch (error) {
          this.onError(error);
        }
        this.onDeleted(batch);
      }
    } finally {
      this.#running = undefined;
    }
  }
}

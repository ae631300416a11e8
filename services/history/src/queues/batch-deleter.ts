/**
 * Coalesces outbox deletions: keys added while a delete is in flight go together in the next call, so acking N
 * tasks costs a handful of statements, not N. A failed delete is harmless (the task re-runs and is found stale).
 */
export class BatchDeleter<K> {
  #pending: K[] = [];
  #running: Promise<void> | undefined;

  constructor(
    private readonly remove: (keys: K[]) => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
    private readonly onDeleted: (keys: K[]) => void = () => {},
  ) {}

  add(key: K): void {
    this.#pending.push(key);
    if (!this.#running) this.#running = this.#drain();
  }

  /** Resolves when everything added so far is deleted (or failed). */
  async flush(): Promise<void> {
    while (this.#running) await this.#running;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, 500);
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

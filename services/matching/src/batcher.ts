/**
 * Groups calls that arrive while a write is running into the next write: one write at a time, each carrying everything
 * that queued up meanwhile. Under load this turns many single-row statements into few batches without any timer.
 */
export class WriteBatcher<T> {
  #queue: { item: T; resolve: () => void; reject: (error: unknown) => void }[] = [];
  #running = false;

  constructor(private readonly write: (items: T[]) => Promise<void>) {}

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#running) void this.#drain();
    });
  }

  /** Resolves when nothing is queued or being written. */
  async idle(): Promise<void> {
    while (this.#running || this.#queue.length > 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        try {
          await this.write(batch.map((entry) => entry.item));
          for (const entry of batch) entry.resolve();
        } catch (error) {
          for (const entry of batch) entry.reject(error);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}

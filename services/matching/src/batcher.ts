import { activeTraceContext, inBatchSpan, rpcTracing, type TraceContext } from '@odin/api';

/**
 * Groups calls that arrive while a write is running into the next write: one write at a time, each carrying everything
 * that queued up meanwhile. Under load this turns many single-row statements into few batches without any timer.
 */
export class WriteBatcher<T> {
  #queue: {
    item: T;
    resolve: () => void;
    reject: (error: unknown) => void;
    trace: TraceContext | undefined;
  }[] = [];
  #running = false;

  /** `spanName`: the span each write gets while traces are recorded (a child of the first caller's span). */
  constructor(
    private readonly write: (items: T[]) => Promise<void>,
    private readonly spanName = 'persistence.write',
    private readonly spanAttributes: Readonly<Record<string, string | number>> = {},
  ) {}

  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject, trace: activeTraceContext() });
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
          const items = batch.map((entry) => entry.item);
          await (rpcTracing.active
            ? inBatchSpan(
                this.spanName,
                batch.map((entry) => entry.trace),
                { ...this.spanAttributes, items: items.length },
                () => this.write(items),
              )
            : this.write(items));
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

import type { Transition } from '@odin/persistence';

/** One caller's transitions waiting for a group commit; they commit all-or-nothing. */
export interface QueuedSubmission {
  readonly transitions: Transition[];
  resolve(dbVersions: number[]): void;
  reject(error: unknown): void;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * The drain loop both group-commit batchers share: submissions that queue up while a commit is in flight go together
 * into the next commit, up to a transition budget. Subclasses decide how one batch is committed.
 */
export abstract class GroupCommitQueue<S extends QueuedSubmission> {
  protected readonly queue: S[] = [];
  #running = false;

  constructor(private readonly maxTransitionsPerBatch: number) {}

  protected enqueue(submission: S): void {
    this.queue.push(submission);
    if (!this.#running) void this.#drain();
  }

  protected abstract commitBatch(batch: S[]): Promise<void>;

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.queue.length > 0) {
        // Let transitions that are being built right now (their callbacks are already queued) join this batch.
        // Embedded SQLite commits synchronously, so without this yield nothing could ever queue behind a commit.
        await yieldToEventLoop();
        const batch: S[] = [];
        let size = 0;
        while (this.queue.length > 0) {
          const next = this.queue[0]!;
          if (batch.length > 0 && size + next.transitions.length > this.maxTransitionsPerBatch) break;
          this.queue.shift();
          batch.push(next);
          size += next.transitions.length;
        }
        await this.commitBatch(batch);
      }
    } finally {
      this.#running = false;
    }
  }
}

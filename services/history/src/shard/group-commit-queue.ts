import { activeTraceContext, inBatchSpan, rpcTracing, type TraceContext } from '@odin/api';
import type { Transition } from '@odin/persistence';

/** One caller's transitions waiting for a group commit; they commit all-or-nothing. */
export interface QueuedSubmission {
  readonly transitions: Transition[];
  resolve(dbVersions: number[]): void;
  reject(error: unknown): void;
  /** The submitter's trace context (only while spans are recorded): the commit's span is its child. */
  trace?: TraceContext | undefined;
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
    if (rpcTracing.active) submission.trace = activeTraceContext();
    this.queue.push(submission);
    if (!this.#running) void this.#drain();
  }

  protected abstract commitBatch(batch: S[]): Promise<void>;

  /** Attributes of a batch's commit span (its shard, say). */
  protected abstract spanAttributes(batch: readonly S[]): Record<string, string | number>;

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
        if (rpcTracing.active) {
          // A child span of every submitter's RPC span (parent of the first, linked by the rest), not of whichever
          // call happened to start this drain loop.
          await inBatchSpan(
            'persistence.commitShardBatch',
            batch.map((s) => s.trace),
            { transitions: size, submissions: batch.length, ...this.spanAttributes(batch) },
            () => this.commitBatch(batch),
          );
        } else {
          await this.commitBatch(batch);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}

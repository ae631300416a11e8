import { TraceAttributes } from '@odin/api';
import { PersistenceError, ShardOwnershipLostError } from '@odin/persistence';
import type { Transition } from '@odin/persistence';
import { type GroupCommitObserver, GroupCommitQueue, type QueuedSubmission } from './group-commit-queue.js';

/**
 * Group commit for one shard. Submissions that queue up while a commit is in flight go together into the next
 * commitShardBatch call, so a busy shard pays one transaction for many transitions. A submission's transitions
 * commit all-or-nothing; when one submission of a batch fails on its own (a CAS conflict, say), it alone is
 * rejected and the others are committed again without it.
 */
export class WriteBatcher extends GroupCommitQueue<QueuedSubmission> {
  constructor(
    private readonly commit: (transitions: Transition[]) => Promise<number[]>,
    private readonly shardId?: number,
    maxTransitionsPerBatch = 128,
    observer?: GroupCommitObserver,
  ) {
    super(maxTransitionsPerBatch, undefined, undefined, undefined, observer);
  }

  submit(transitions: Transition[]): Promise<number[]> {
    return new Promise<number[]>((resolve, reject) => this.enqueue({ transitions, resolve, reject }));
  }

  protected spanAttributes(): Record<string, number> {
    return this.shardId === undefined ? {} : { [TraceAttributes.shardId]: this.shardId };
  }

  /** Rejects everything queued (the shard is gone). */
  failAll(error: unknown): void {
    for (const s of this.queue.splice(0)) s.reject(error);
  }

  protected async commitBatch(batch: QueuedSubmission[]): Promise<void> {
    let pending = batch;
    while (pending.length > 0) {
      const flat: Transition[] = [];
      const owner: number[] = [];
      pending.forEach((s, i) => {
        for (const t of s.transitions) {
          flat.push(t);
          owner.push(i);
        }
      });
      try {
        const versions = await this.commit(flat);
        let offset = 0;
        for (const s of pending) {
          s.resolve(versions.slice(offset, offset + s.transitions.length));
          offset += s.transitions.length;
        }
        return;
      } catch (error) {
        const index = error instanceof PersistenceError ? error.transitionIndex : undefined;
        if (
          pending.length > 1 &&
          index !== undefined &&
          owner[index] !== undefined &&
          !(error instanceof ShardOwnershipLostError)
        ) {
          const culprit = owner[index]!;
          (error as PersistenceError).transitionIndex = index - owner.indexOf(culprit);
          pending[culprit]!.reject(error);
          pending = pending.filter((_, i) => i !== culprit);
          continue;
        }
        for (const s of pending) s.reject(error);
        return;
      }
    }
  }
}

import { TraceAttributes } from '@odin/api';
import { PersistenceError, ShardOwnershipLostError } from '@odin/persistence';
import type { CommitResult, OutboxAcks, ShardFence, Transition } from '@odin/persistence';
import type { HostOutboxAcks } from '../queues/host-outbox-acks.js';
import {
  DEFAULT_PARALLEL_BACKLOG,
  DEFAULT_SPLIT_MIN,
  type GroupCommitObserver,
  GroupCommitQueue,
  type QueuedSubmission,
} from './group-commit-queue.js';

/**
 * An optional store capability (not in the persistence contract yet): commit the batches of several shards in ONE
 * transaction, checking every shard's fence. On failure nothing is written and the typed error is thrown with
 * `transitionIndex` = index into the concatenation of all batches' transitions (in order); a lost fence throws
 * ShardOwnershipLostError naming its shard. Embedded SQLite has one writer and pays one fsync per transaction, so
 * one host-wide group commit is what lets it keep up with hundreds of workflows per second across 512 shards.
 */
export interface MultiShardCommit {
  commitShardBatches(
    batches: { fence: ShardFence; transitions: Transition[] }[],
    acks?: OutboxAcks,
  ): Promise<CommitResult[]>;
}

export function supportsMultiShardCommit(executions: object): executions is MultiShardCommit {
  return typeof (executions as Partial<MultiShardCommit>).commitShardBatches === 'function';
}

/** What the host batcher needs from a shard. */
export interface BatchedShard {
  readonly shardId: number;
  readonly lost: boolean;
  /** Gives the transitions' outbox tasks their ids; returns the fence to commit under. */
  prepare(transitions: Transition[]): Promise<ShardFence>;
  markLost(): void;
}

interface Submission extends QueuedSubmission {
  readonly shard: BatchedShard;
}

/** The metrics of a group commit: its batches (GroupCommitObserver) and each store call's time and failure. */
export interface CommitObserver extends GroupCommitObserver {
  committed(durationMs: number, errorCode?: string): void;
}

/** How many commits may be in flight and how large they are (see GroupCommitQueue); defaults for embedded SQLite. */
export interface HostWriteBatcherLimits {
  /** Commits in flight at once, each of other shards; 1 for a single-writer database. */
  readonly maxConcurrentCommits?: number;
  readonly maxTransitionsPerBatch?: number;
  /** Transitions waiting before a commit starts beside one in flight. */
  readonly parallelBacklog?: number;
  /** Transitions per commit at least when a queue is split over several commits. */
  readonly splitMin?: number;
}

/**
 * Group commit across all shards of this host: submissions queued while a commit is in flight go together into
 * the next multi-shard transaction (or, on a server database, into one of the next few, a shard in one at a time). Failure handling mirrors the per-shard batcher: the submission that caused a
 * CAS failure is rejected alone and the rest committed again; a lost fence drops that shard's submissions only.
 */
export class HostWriteBatcher extends GroupCommitQueue<Submission> {
  constructor(
    private readonly store: MultiShardCommit,
    private readonly commits: CommitObserver,
    /** Finished outbox tasks of the host's shards, deleted inside the commits. */
    private readonly acks?: HostOutboxAcks,
    limits: HostWriteBatcherLimits = {},
  ) {
    super(
      limits.maxTransitionsPerBatch ?? 256,
      limits.maxConcurrentCommits ?? 1,
      limits.parallelBacklog ?? DEFAULT_PARALLEL_BACKLOG,
      limits.splitMin ?? DEFAULT_SPLIT_MIN,
      commits,
    );
  }

  protected override keyOf(submission: Submission): BatchedShard {
    return submission.shard;
  }

  /** One shard: its id; several: the shard of the first submission, and how many shards the transaction spans. */
  protected spanAttributes(batch: readonly Submission[]): Record<string, number> {
    const shards = new Set(batch.map((s) => s.shard.shardId));
    return { [TraceAttributes.shardId]: batch[0]?.shard.shardId ?? 0, shards: shards.size };
  }

  submit(shard: BatchedShard, transitions: Transition[]): Promise<number[]> {
    return new Promise<number[]>((resolve, reject) => this.enqueue({ shard, transitions, resolve, reject }));
  }

  protected async commitBatch(batch: Submission[]): Promise<void> {
    let pending = batch;
    while (pending.length > 0) {
      const live: Submission[] = [];
      for (const s of pending) {
        if (s.shard.lost) s.reject(new ShardOwnershipLostError(s.shard.shardId, 0, null));
        else live.push(s);
      }
      pending = live;
      if (pending.length === 0) return;
      // One entry per shard, in first-submission order; remember where each submission's transitions landed.
      const byShard = new Map<BatchedShard, Submission[]>();
      for (const s of pending) {
        const list = byShard.get(s.shard);
        if (list) list.push(s);
        else byShard.set(s.shard, [s]);
      }
      const batches: { fence: ShardFence; transitions: Transition[] }[] = [];
      const owners: Submission[] = [];
      const placement = new Map<Submission, { batch: number; offset: number }>();
      try {
        for (const [shard, subs] of byShard) {
          const transitions: Transition[] = [];
          for (const s of subs) {
            placement.set(s, { batch: batches.length, offset: transitions.length });
            transitions.push(...s.transitions);
            for (let i = 0; i < s.transitions.length; i++) owners.push(s);
          }
          batches.push({ fence: await shard.prepare(transitions), transitions });
        }
        const started = this.commits.now();
        const taken = this.acks?.take();
        const results = await this.store.commitShardBatches(batches, taken?.acks).catch((error: unknown) => {
          taken?.settle(false);
          this.commits.committed(
            this.commits.now() - started,
            (error as { code?: string }).code ?? 'UNKNOWN',
          );
          throw error;
        });
        taken?.settle(true);
        this.commits.committed(this.commits.now() - started);
        for (const s of pending) {
          const at = placement.get(s)!;
          s.resolve(results[at.batch]!.dbVersions.slice(at.offset, at.offset + s.transitions.length));
        }
        return;
      } catch (error) {
        if (error instanceof ShardOwnershipLostError) {
          const lost = pending.find((s) => s.shard.shardId === error.shardId)?.shard;
          if (lost) {
            lost.markLost();
            for (const s of pending) if (s.shard === lost) s.reject(error);
            pending = pending.filter((s) => s.shard !== lost);
            continue;
          }
        }
        const index = error instanceof PersistenceError ? error.transitionIndex : undefined;
        const culprit = index === undefined ? undefined : owners[index];
        if (culprit && pending.length > 1) {
          const at = placement.get(culprit)!;
          let start = 0;
          for (let b = 0; b < at.batch; b++) start += batches[b]!.transitions.length;
          (error as PersistenceError).transitionIndex = index! - start - at.offset;
          culprit.reject(error);
          pending = pending.filter((s) => s !== culprit);
          continue;
        }
        for (const s of pending) s.reject(error);
        return;
      }
    }
  }
}

import { ShardOwnershipLostError, TASK_ID_RANGE_BITS } from '@odin/persistence';
import type { PersistenceStore, ShardFence, ShardLease, Transition } from '@odin/persistence';
import { ServiceError } from '@odin/api';
import type { BatchedShard, CommitObserver, HostWriteBatcher } from './host-write-batcher.js';
import { WriteBatcher } from './write-batcher.js';

const RANGE_SIZE = 2 ** TASK_ID_RANGE_BITS;

/**
 * One shard this host holds: its lease (range_id fence), the task-id allocator (`rangeId << 20 | seq`, renewed by
 * re-acquiring the shard when a range runs out) and the write batcher every transition of the shard goes through.
 * Once ownership is lost the context is dead: it never writes again.
 */
export class ShardContext implements BatchedShard {
  #lease: ShardLease;
  #seq = 1;
  #lost = false;
  readonly batcher: WriteBatcher;

  constructor(
    lease: ShardLease,
    private readonly store: PersistenceStore,
    private readonly onLost: (shard: ShardContext) => void,
    private readonly leaseMs: number,
    private readonly now: () => number,
    /** Host-wide group commit when the store can commit several shards in one transaction. */
    private readonly hostBatcher?: HostWriteBatcher,
    /** The commits' metrics (the shard's own group commit, used without a host batcher). */
    private readonly observer?: CommitObserver,
  ) {
    this.#lease = lease;
    this.batcher = new WriteBatcher(
      (transitions) => this.#commit(transitions),
      lease.shardId,
      undefined,
      observer,
    );
  }

  get shardId(): number {
    return this.#lease.shardId;
  }

  get rangeId(): number {
    return this.#lease.rangeId;
  }

  get lost(): boolean {
    return this.#lost;
  }

  /** Throws UNAVAILABLE when this host no longer owns the shard. */
  assertOwned(): void {
    if (this.#lost)
      throw ServiceError.unavailable(`History shard ${this.shardId} is not owned by this host.`);
  }

  /** Commits transitions through the group-commit batcher; resolves with their new dbVersions. */
  async commit(transitions: Transition[]): Promise<number[]> {
    this.assertOwned();
    if (this.hostBatcher) return this.hostBatcher.submit(this, transitions);
    return this.batcher.submit(transitions);
  }

  async renew(): Promise<void> {
    if (this.#lost) return;
    try {
      await this.store.shards.renewShard(this.#lease, this.leaseMs, this.now());
    } catch (error) {
      if (error instanceof ShardOwnershipLostError) this.markLost();
      throw error;
    }
  }

  markLost(): void {
    if (this.#lost) return;
    this.#lost = true;
    this.batcher.failAll(ServiceError.unavailable(`History shard ${this.shardId} ownership was lost.`));
    this.onLost(this);
  }

  /**
   * Gives the shard up on purpose (it moved to another host): nothing is written through this context again and
   * transitions still waiting for a commit are refused so their callers retry on the new owner.
   */
  release(): void {
    if (this.#lost) return;
    this.#lost = true;
    this.batcher.failAll(ServiceError.unavailable(`History shard ${this.shardId} moved; retry.`));
  }

  /** Gives every outbox task of the transitions its id (`rangeId << 20 | seq`); returns the fence to write under. */
  async prepare(transitions: Transition[]): Promise<ShardFence> {
    if (this.#lost) throw ServiceError.unavailable(`History shard ${this.shardId} ownership was lost.`);
    let taskCount = 0;
    for (const t of transitions) taskCount += t.tasks.length;
    if (this.#seq + taskCount >= RANGE_SIZE) await this.#renewRange();
    for (const t of transitions) {
      for (const task of t.tasks) task.taskId = this.#lease.rangeId * RANGE_SIZE + this.#seq++;
    }
    return { shardId: this.#lease.shardId, rangeId: this.#lease.rangeId };
  }

  async #commit(transitions: Transition[]): Promise<number[]> {
    const fence = await this.prepare(transitions);
    const started = this.now();
    try {
      const result = await this.store.executions.commitShardBatch(fence, transitions);
      this.observer?.committed(this.now() - started);
      return result.dbVersions;
    } catch (error) {
      this.observer?.committed(this.now() - started, (error as { code?: string }).code ?? 'UNKNOWN');
      if (error instanceof ShardOwnershipLostError) this.markLost();
      throw error;
    }
  }

  /** A new range: re-acquire bumps range_id; all earlier ids stay below the new range's. */
  async #renewRange(): Promise<void> {
    const next = await this.store.shards.acquireShard(
      this.#lease.shardId,
      this.#lease.ownerHostId,
      this.leaseMs,
      this.now(),
    );
    this.#lease = next;
    this.#seq = 1;
  }
}

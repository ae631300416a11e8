import { ServiceError } from '@odin/api';
import type { RunCache } from '../cache.js';
import type { ShardOwnership } from '../context.js';
import type { TimerProcessor } from '../queues/timer-processor.js';
import type { TransferProcessor } from '../queues/transfer-processor.js';
import type { ShardContext } from './shard-context.js';

/** Everything of one owned shard: its fenced writer, its mutable-state cache and its outbox processors. */
export interface Shard {
  readonly ctx: ShardContext;
  readonly cache: RunCache;
  readonly transfer: TransferProcessor;
  readonly timers: TimerProcessor;
}

/**
 * The shards this host holds now. The shard controller adds and removes them (it acquires, renews and drops
 * leases); the engine only looks them up, which is why this table stands apart from the controller: the engine is
 * built before the controller, whose outbox executors need the engine.
 */
export class OwnedShards {
  readonly #shards = new Map<number, Shard>();

  constructor(
    readonly shardCount: number,
    private readonly ownership?: ShardOwnership,
  ) {}

  /** The owned shard, or UNAVAILABLE. */
  get(shardId: number): Shard {
    const shard = this.#shards.get(shardId);
    // In a cluster the ring is asked too: a host that resumes after a pause still holds shards in memory until its
    // reconcile runs, and must not answer from that memory once the ring (its own heartbeat too old) has moved on.
    if (!shard || shard.ctx.lost || (this.ownership && !this.ownership.owns(shardId))) {
      throw ServiceError.unavailable(`History shard ${shardId} is not owned by this host; retry shortly.`);
    }
    return shard;
  }

  /** The shard held under this id, even one whose fence was just lost (no ownership check). */
  held(shardId: number): Shard | undefined {
    return this.#shards.get(shardId);
  }

  has(shardId: number): boolean {
    return this.#shards.has(shardId);
  }

  all(): Shard[] {
    return [...this.#shards.values()];
  }

  /** Ids of the shards held now, ascending. */
  ids(): number[] {
    return [...this.#shards.keys()].sort((a, b) => a - b);
  }

  add(shard: Shard): void {
    this.#shards.set(shard.ctx.shardId, shard);
  }

  remove(shardId: number): void {
    this.#shards.delete(shardId);
  }
}

import type { ClusterMetadata, ClusterStore, ShardLease, ShardRecord, ShardStore } from '../contract.js';
import { ClusterMetadataMismatchError, ShardOwnershipLostError } from '../contract.js';
import { toNumber } from '../codec.js';
import type { StoreContext } from './context.js';
import type { HistoryShardsTable } from '../tables.js';

function toShard(row: HistoryShardsTable): ShardRecord {
  return {
    shardId: toNumber(row.shard_id),
    rangeId: toNumber(row.range_id),
    ownerHostId: row.owner_host_id,
    leaseExpiresAt: toNumber(row.lease_expires_at),
    updatedAt: toNumber(row.updated_at),
  };
}

export class SqlShardStore implements ShardStore {
  constructor(private readonly ctx: StoreContext) {}

  async acquireShard(
    shardId: number,
    ownerHostId: string,
    leaseDurationMs: number,
    now: number,
  ): Promise<ShardLease> {
    const current = await this.getShard(shardId);
    if (current === null) {
      try {
        await this.ctx.db
          .insertInto('history_shards')
          .values({
            shard_id: shardId,
            range_id: 1,
            owner_host_id: ownerHostId,
            lease_expires_at: now + leaseDurationMs,
            updated_at: now,
          })
          .execute();
        return { shardId, rangeId: 1, ownerHostId };
      } catch (error) {
        if (!this.ctx.dialect.isUniqueViolation(error)) throw error;
        const winner = await this.getShard(shardId);
        throw new ShardOwnershipLostError(shardId, 1, winner?.rangeId ?? null);
      }
    }
    const rangeId = current.rangeId + 1;
    // The CAS on the value just read: of concurrent acquirers only one moves range r to r+1.
    const r = await this.ctx.db
      .updateTable('history_shards')
      .set({
        range_id: rangeId,
        owner_host_id: ownerHostId,
        lease_expires_at: now + leaseDurationMs,
        updated_at: now,
      })
      .where('shard_id', '=', shardId)
      .where('range_id', '=', current.rangeId)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) {
      const winner = await this.getShard(shardId);
      throw new ShardOwnershipLostError(shardId, rangeId, winner?.rangeId ?? null);
    }
    return { shardId, rangeId, ownerHostId };
  }

  async renewShard(lease: ShardLease, leaseDurationMs: number, now: number): Promise<ShardRecord> {
    const r = await this.ctx.db
      .updateTable('history_shards')
      .set({ lease_expires_at: now + leaseDurationMs, updated_at: now })
      .where('shard_id', '=', lease.shardId)
      .where('range_id', '=', lease.rangeId)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) {
      const actual = await this.getShard(lease.shardId);
      throw new ShardOwnershipLostError(lease.shardId, lease.rangeId, actual?.rangeId ?? null);
    }
    return {
      shardId: lease.shardId,
      rangeId: lease.rangeId,
      ownerHostId: lease.ownerHostId,
      leaseExpiresAt: now + leaseDurationMs,
      updatedAt: now,
    };
  }

  async getShard(shardId: number): Promise<ShardRecord | null> {
    const row = await this.ctx.db
      .selectFrom('history_shards')
      .selectAll()
      .where('shard_id', '=', shardId)
      .executeTakeFirst();
    return row === undefined ? null : toShard(row);
  }

  async listShards(): Promise<ShardRecord[]> {
    const rows = await this.ctx.db.selectFrom('history_shards').selectAll().orderBy('shard_id').execute();
    return rows.map(toShard);
  }
}

export class SqlClusterStore implements ClusterStore {
  constructor(private readonly ctx: StoreContext) {}

  async initOrVerifyClusterMetadata(input: {
    clusterName: string;
    shardCount: number;
    now: number;
  }): Promise<ClusterMetadata> {
    if (!Number.isSafeInteger(input.shardCount) || input.shardCount < 1) {
      throw new RangeError(`shard count must be a positive integer, got ${input.shardCount}`);
    }
    let stored = await this.#read(input.clusterName);
    if (stored === null) {
      try {
        await this.ctx.db
          .insertInto('cluster_metadata')
          .values({ cluster_name: input.clusterName, shard_count: input.shardCount, created_at: input.now })
          .execute();
      } catch (error) {
        // Another host created it first; its row is the truth.
        if (!this.ctx.dialect.isUniqueViolation(error)) throw error;
      }
      stored = await this.#read(input.clusterName);
    }
    if (stored === null) throw new Error(`cluster metadata for ${input.clusterName} vanished after insert`);
    if (stored.shardCount !== input.shardCount) {
      throw new ClusterMetadataMismatchError(stored.shardCount, input.shardCount);
    }
    return stored;
  }

  async #read(clusterName: string): Promise<ClusterMetadata | null> {
    const row = await this.ctx.db
      .selectFrom('cluster_metadata')
      .selectAll()
      .where('cluster_name', '=', clusterName)
      .executeTakeFirst();
    if (row === undefined) return null;
    return {
      clusterName: row.cluster_name,
      shardCount: toNumber(row.shard_count),
      createdAt: toNumber(row.created_at),
    };
  }
}

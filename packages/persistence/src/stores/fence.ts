import { sql } from 'kysely';
import { type ShardFence, ShardOwnershipLostError } from '../contract.js';
import { toNumber } from '../codec.js';
import { type Executor, lockClause, type StoreContext } from '../sql-flavor.js';

/**
 * Invariant 1(a): reads the shard's range_id under a shared row lock, so a concurrent acquireShard (which updates
 * the row) waits for this transaction and every later writer sees the new range. Throws when the range moved.
 */
export async function checkShardFence(ctx: StoreContext, trx: Executor, fence: ShardFence): Promise<void> {
  const row = await trx
    .selectFrom('history_shards')
    .select('range_id')
    .where('shard_id', '=', fence.shardId)
    .modifyEnd(lockClause(ctx.dialect, 'share'))
    .executeTakeFirst();
  const actual = row === undefined ? null : toNumber(row.range_id);
  if (actual !== fence.rangeId) throw new ShardOwnershipLostError(fence.shardId, fence.rangeId, actual);
}

/**
 * The fences of a multi-shard commit, share-locked in ascending shard id order so that hosts whose commits overlap
 * take the row locks in the same order. PostgreSQL and MySQL read them in one statement (one round trip; the rows
 * are locked in the ORDER BY / primary-key order); SQLite, with no round trips and one writer, checks each with the
 * cached single-row statement. The first moved range in shard order is the one reported.
 */
export async function checkShardFences(
  ctx: StoreContext,
  trx: Executor,
  fences: readonly ShardFence[],
): Promise<void> {
  const ordered = [...fences].sort((a, b) => a.shardId - b.shardId);
  if (ordered.length === 1 || ctx.dialect === 'sqlite') {
    for (const fence of ordered) await checkShardFence(ctx, trx, fence);
    return;
  }
  const ids = [...new Set(ordered.map((f) => f.shardId))];
  // One statement shape for any number of shards on PostgreSQL, so it stays one prepared statement.
  const inShards =
    ctx.dialect === 'postgres'
      ? sql<boolean>`shard_id = any(${ids}::integer[])`
      : sql<boolean>`shard_id in (${sql.join(ids)})`;
  const rows = await trx
    .selectFrom('history_shards')
    .select(['shard_id', 'range_id'])
    .where(inShards)
    .orderBy('shard_id')
    .modifyEnd(lockClause(ctx.dialect, 'share'))
    .execute();
  const stored = new Map(rows.map((r) => [toNumber(r.shard_id), toNumber(r.range_id)]));
  for (const fence of ordered) {
    const actual = stored.get(fence.shardId) ?? null;
    if (actual !== fence.rangeId) throw new ShardOwnershipLostError(fence.shardId, fence.rangeId, actual);
  }
}

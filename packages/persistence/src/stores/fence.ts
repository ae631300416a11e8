import { type ShardFence, ShardOwnershipLostError } from '../contract.js';
import { toNumber } from '../codec.js';
import type { Executor, StoreContext } from './context.js';
import { executePrecompiled } from './precompiled.js';

/**
 * Invariant 1(a): reads the shard's range_id under a shared row lock, so a concurrent acquireShard (which updates
 * the row) waits for this transaction and every later writer sees the new range. Throws when the range moved.
 */
export async function checkShardFence(ctx: StoreContext, trx: Executor, fence: ShardFence): Promise<void> {
  const { rows } = await executePrecompiled(ctx, trx, 'shardFence', [fence.shardId], () =>
    trx
      .selectFrom('history_shards')
      .select('range_id')
      .where('shard_id', '=', fence.shardId)
      .modifyEnd(ctx.dialect.lockForShare)
      .compile(),
  );
  const row = rows[0];
  const actual = row === undefined ? null : toNumber(row.range_id);
  if (actual !== fence.rangeId) throw new ShardOwnershipLostError(fence.shardId, fence.rangeId, actual);
}

/**
 * The fences of a multi-shard commit, share-locked in ascending shard id order so that hosts whose commits overlap
 * take the row locks in the same order. They are read in one statement (one round trip; the rows are locked in the
 * ORDER BY / primary-key order), or one cached point read each where the dialect says that is cheaper (SQLite). The first moved range in shard order is the one reported.
 */
export async function checkShardFences(
  ctx: StoreContext,
  trx: Executor,
  fences: readonly ShardFence[],
): Promise<void> {
  const ordered = [...fences].sort((a, b) => a.shardId - b.shardId);
  if (ordered.length === 1 || ctx.dialect.readsFencesOneByOne) {
    for (const fence of ordered) await checkShardFence(ctx, trx, fence);
    return;
  }
  const ids = [...new Set(ordered.map((f) => f.shardId))];
  const rows = await trx
    .selectFrom('history_shards')
    .select(['shard_id', 'range_id'])
    .where(ctx.dialect.integerIn('shard_id', ids))
    .orderBy('shard_id')
    .modifyEnd(ctx.dialect.lockForShare)
    .execute();
  const stored = new Map(rows.map((r) => [toNumber(r.shard_id), toNumber(r.range_id)]));
  for (const fence of ordered) {
    const actual = stored.get(fence.shardId) ?? null;
    if (actual !== fence.rangeId) throw new ShardOwnershipLostError(fence.shardId, fence.rangeId, actual);
  }
}

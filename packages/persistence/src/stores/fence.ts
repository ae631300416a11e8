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

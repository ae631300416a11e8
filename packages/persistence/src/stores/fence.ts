import type { CompiledQuery } from 'kysely';
import { type ShardFence, ShardOwnershipLostError } from '../contract.js';
import { toNumber } from '../codec.js';
import type { Executor, StoreContext } from './context.js';
import { precompiledQuery } from './precompiled.js';

/**
 * Invariant 1(a): reads the shard's range_id under a shared row lock, so a concurrent acquireShard (which updates
 * the row) waits for this transaction and every later writer sees the new range. Throws when the range moved.
 */
export async function checkShardFence(ctx: StoreContext, trx: Executor, fence: ShardFence): Promise<void> {
  const { rows } = await trx.executeQuery(shardFenceQuery(ctx, trx, fence));
  const row = rows[0];
  const actual = row === undefined ? null : toNumber(row.range_id);
  if (actual !== fence.rangeId) throw new ShardOwnershipLostError(fence.shardId, fence.rangeId, actual);
}

function shardFenceQuery(
  ctx: StoreContext,
  db: Executor,
  fence: ShardFence,
): CompiledQuery<{ range_id: unknown }> {
  return precompiledQuery(ctx, 'shardFence', [fence.shardId], () =>
    db
      .selectFrom('history_shards')
      .select('range_id')
      .where('shard_id', '=', fence.shardId)
      .modifyEnd(ctx.dialect.lockForShare)
      .compile(),
  );
}

/**
 * The fences of a commit read in one statement that share-locks their rows (as checkShardFences does where the
 * dialect reads them together), and the test of its rows: whether every range still holds. For a pipelined
 * transaction, which reports a moved range by re-running the ordinary way.
 */
export function shardFencesQuery(
  ctx: StoreContext,
  db: Executor,
  fences: readonly ShardFence[],
): { query: CompiledQuery<unknown>; holds: (rows: readonly unknown[]) => boolean } {
  const expected = new Map<number, number>();
  for (const f of fences) expected.set(f.shardId, f.rangeId);
  const query =
    expected.size === 1
      ? shardFenceQuery(ctx, db, fences[0]!)
      : manyFencesQuery(
          ctx,
          db,
          [...expected.keys()].sort((a, b) => a - b),
        );
  const holds = (rows: readonly unknown[]) => {
    if (rows.length !== expected.size) return false;
    return (rows as { shard_id?: unknown; range_id: unknown }[]).every((r) => {
      const shardId = r.shard_id === undefined ? fences[0]!.shardId : toNumber(r.shard_id);
      return expected.get(shardId) === toNumber(r.range_id);
    });
  };
  return { query, holds };
}

function manyFencesQuery(ctx: StoreContext, db: Executor, ids: readonly number[]) {
  return db
    .selectFrom('history_shards')
    .select(['shard_id', 'range_id'])
    .where(ctx.dialect.integerIn('shard_id', ids))
    .orderBy('shard_id')
    .modifyEnd(ctx.dialect.lockForShare)
    .compile();
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
  const { rows } = await trx.executeQuery(manyFencesQuery(ctx, trx, ids));
  const stored = new Map(rows.map((r) => [toNumber(r.shard_id), toNumber(r.range_id)]));
  for (const fence of ordered) {
    const actual = stored.get(fence.shardId) ?? null;
    if (actual !== fence.rangeId) throw new ShardOwnershipLostError(fence.shardId, fence.rangeId, actual);
  }
}

import type { CompiledQuery } from 'kysely';
import type { CheckedStatement } from '../dialects/sql-dialect.js';
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
 * For a pipelined commit: the fences' rows whose range still holds, share-locked in ascending shard id order (as
 * checkShardFences locks them), with the row count the commit needs: one per shard. A moved range returns no row
 * for its shard, so the count fails the transaction, which the ordinary way then reports. One statement for all
 * shards, or one cached point read each where the dialect says that is cheaper (SQLite, as checkShardFences).
 */
export function heldFencesStatements(
  ctx: StoreContext,
  db: Executor,
  fences: readonly ShardFence[],
): CheckedStatement[] {
  const expected = new Map<number, number>();
  for (const f of fences) expected.set(f.shardId, f.rangeId);
  const held = [...expected].sort(([a], [b]) => a - b);
  if (ctx.dialect.readsFencesOneByOne) {
    return held.map((pair) => ({
      query: precompiledQuery(ctx, 'heldFence', pair, () =>
        db
          .selectFrom('history_shards')
          .select('shard_id')
          .where('shard_id', '=', pair[0])
          .where('range_id', '=', pair[1])
          .modifyEnd(ctx.dialect.lockForShare)
          .compile(),
      ),
      expectRows: 1,
    }));
  }
  const query = precompiledQuery(ctx, `heldFences\u0000${held.length}`, held.flat(), () =>
    db
      .selectFrom('history_shards')
      .select('shard_id')
      .where((eb) =>
        eb.or(
          held.map(([shardId, rangeId]) =>
            eb.and([eb('shard_id', '=', shardId), eb('range_id', '=', rangeId)]),
          ),
        ),
      )
      .orderBy('shard_id')
      .modifyEnd(ctx.dialect.lockForShare)
      .compile(),
  );
  return [{ query, expectRows: held.length }];
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

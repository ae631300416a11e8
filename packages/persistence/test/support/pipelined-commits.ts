// The execution store's group commit through a dialect's transaction pipeline (PostgreSQL's pipelined writes,
// SQLite's transactions run whole on the connection): the same cases for every dialect that has one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import {
  CurrentExecutionConflictError,
  ExecutionVersionConflictError,
  ShardOwnershipLostError,
  type ShardFence,
  WorkflowStatus,
} from '../../src/contract.js';
import { openStoreContext } from '../../src/open-store.js';
import type { StoreContext } from '../../src/stores/context.js';
import { SqlExecutionStore } from '../../src/stores/executions.js';
import { SqlShardStore } from '../../src/stores/shards.js';
import type { TestDatabase } from './databases.js';
import { create, key, T0, text, update, visibility } from './fixtures.js';

/**
 * `ctx` with its pipeline wrapped to record how each pipelined commit went out: in one step ('one', or 'one,
 * rejected' when it did not commit), or in two ('two', a read first).
 */
function countingWrites(ctx: StoreContext): { counted: StoreContext; writes: string[] } {
  const writes: string[] = [];
  const pipeline = ctx.pipeline!;
  const counted: StoreContext = {
    ...ctx,
    pipeline: {
      commitInOneWrite: async (statements) => {
        const committed = await pipeline.commitInOneWrite(statements);
        writes.push(committed ? 'one' : 'one, rejected');
        return committed;
      },
      run: (first, decide) => {
        writes.push('two');
        return pipeline.run(first, decide);
      },
    },
  };
  return { counted, writes };
}

/** Registers the cases against the database `database()` returns once its file's `before` ran. */
export function pipelinedCommitCases(database: () => TestDatabase): void {
  /**
   * How a commit with visibility records but no search attributes goes out: in one write where the dialect writes
   * them without reading first (a data-modifying CTE, PostgreSQL), else with the stored versions read first.
   */
  const withVisibility = () => (database().dialect === 'postgres' ? 'one' : 'two');
  const open = async () => {
    const ctx = await openStoreContext({ url: database().url, poolSize: 2, migrate: true });
    assert.ok(ctx.pipeline, `${database().dialect} offers a transaction pipeline`);
    return ctx;
  };

  test('the execution store commits through the pipeline, and its failures still name their transition', async () => {
    const ctx = await open();
    const { counted, writes } = countingWrites(ctx);
    try {
      const executions = new SqlExecutionStore(counted);
      const shards = new SqlShardStore(counted);
      const lease: ShardFence = await shards.acquireShard(7, 'host-a', 30_000, T0);
      const [a, b] = [key(), key()];
      await executions.commitShardBatch(lease, [
        create(a, lease.shardId, { visibility: visibility(a) }),
        create(b, lease.shardId),
      ]);
      const result = await executions.commitShardBatch(lease, [
        update(a, 1, 3, 2),
        update(b, 1, 3, 1, { status: WorkflowStatus.COMPLETED, closeTime: T0 + 5 }),
      ]);
      assert.deepEqual(result.dbVersions, [2, 2]);
      assert.deepEqual(writes, [withVisibility(), 'one']);
      const rowB = await executions.getExecution(b);
      assert.deepEqual(
        [rowB?.dbVersion, rowB?.status, text(rowB!.state)],
        [2, WorkflowStatus.COMPLETED, 'state:2'],
      );

      // A stale version: the pipeline rolls back, and the ordinary way names the transition.
      await assert.rejects(
        executions.commitShardBatch(lease, [update(a, 2, 5, 1), update(b, 1, 4, 1)]),
        (error: unknown) =>
          error instanceof ExecutionVersionConflictError &&
          (error as { transitionIndex?: number }).transitionIndex === 1,
      );
      assert.equal((await executions.getExecution(a))?.dbVersion, 2);
      // A workflow id that already has a current run.
      await assert.rejects(
        executions.commitShardBatch(lease, [create(key(a.workflowId), lease.shardId)]),
        CurrentExecutionConflictError,
      );
      // A moved range.
      const newer = await shards.acquireShard(7, 'host-b', 30_000, T0 + 60_000);
      assert.notEqual(newer.rangeId, lease.rangeId);
      await assert.rejects(executions.commitShardBatch(lease, [update(a, 2, 5, 1)]), ShardOwnershipLostError);
      assert.equal((await executions.getExecution(a))?.dbVersion, 2);
    } finally {
      await ctx.db.destroy();
    }
  });

  test('a pipelined commit applies only newer visibility records, drops the attribute rows of those that win, and checks every fence', async () => {
    const ctx = await open();
    const { counted, writes } = countingWrites(ctx);
    const stored = async (runId: string) => {
      const version = await sql<{
        v: number;
      }>`select state_version as v from visibility_records where run_id = ${runId}`.execute(ctx.db);
      const attributes = await sql<{
        n: number;
      }>`select count(*) as n from visibility_search_attributes where run_id = ${runId}`.execute(ctx.db);
      return { version: Number(version.rows[0]?.v), attributes: Number(attributes.rows[0]?.n) };
    };
    try {
      const executions = new SqlExecutionStore(counted);
      const shards = new SqlShardStore(counted);
      const lease = await shards.acquireShard(8, 'host-a', 30_000, T0);
      const c = key();
      const colour = { CustomKeywordField: { type: 'Keyword' as const, value: 'blue' } };
      // A record with search attributes writes their rows only if it wins: read first, two steps.
      await executions.commitShardBatch(lease, [
        create(c, lease.shardId, {
          visibility: visibility(c, { stateVersion: 5, searchAttributes: colour }),
        }),
      ]);
      assert.deepEqual(await stored(c.runId), { version: 5, attributes: 1 });
      // An older record without attributes loses: the stored record and its attribute rows stay, also beside a
      // record of another run that wins in the same commit.
      const x = key();
      await executions.commitShardBatch(lease, [
        update(c, 1, 3, 1, { visibility: visibility(c, { stateVersion: 3 }) }),
        create(x, lease.shardId, { visibility: visibility(x) }),
      ]);
      assert.deepEqual(await stored(c.runId), { version: 5, attributes: 1 });
      assert.deepEqual(await stored(x.runId), { version: 1, attributes: 0 });
      // A newer one wins and the attribute rows it no longer has go.
      await executions.commitShardBatch(lease, [
        update(c, 2, 4, 1, { visibility: visibility(c, { stateVersion: 6 }) }),
      ]);
      assert.deepEqual(await stored(c.runId), { version: 6, attributes: 0 });
      assert.deepEqual(writes, ['two', withVisibility(), withVisibility()]);

      // Two shards in one commit: both fences are checked, and a moved one rejects the whole commit.
      const other = await shards.acquireShard(9, 'host-a', 30_000, T0);
      const [d, e] = [key(), key()];
      await executions.commitShardBatches([
        { fence: lease, transitions: [create(d, lease.shardId)] },
        { fence: other, transitions: [create(e, other.shardId)] },
      ]);
      assert.equal((await executions.getExecution(e))?.dbVersion, 1);
      await shards.acquireShard(9, 'host-b', 30_000, T0 + 60_000);
      await assert.rejects(
        executions.commitShardBatches([
          { fence: lease, transitions: [update(d, 1, 3, 1)] },
          { fence: other, transitions: [update(e, 1, 3, 1)] },
        ]),
        (error: unknown) => error instanceof ShardOwnershipLostError && error.shardId === 9,
      );
      assert.equal((await executions.getExecution(d))?.dbVersion, 1);
      assert.deepEqual(writes.slice(3), ['one', 'one, rejected']);
    } finally {
      await ctx.db.destroy();
    }
  });
}

// The conformance suite: the same cases against every dialect, each on its own fresh database.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ClusterMetadataMismatchError,
  CurrentExecutionConflictError,
  type DialectName,
  ExecutionAlreadyExistsError,
  ExecutionNotFoundError,
  ExecutionVersionConflictError,
  HistoryGapError,
  InvalidPageTokenError,
  LimitExceededError,
  NamespaceAlreadyExistsError,
  NamespaceNotFoundError,
  NamespaceVersionConflictError,
  type PersistenceStore,
  ShardOwnershipLostError,
  TaskQueueLeaseLostError,
  TaskQueueType,
  WorkflowStatus,
} from '../../src/contract.js';
import { openStore, openStoreContext } from '../../src/open-store.js';
import type { StoreContext } from '../../src/stores/context.js';
import { SqlExecutionStore } from '../../src/stores/executions.js';
import { precompiledShapes } from '../../src/stores/precompiled.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import {
  bytes,
  create,
  events,
  key,
  NS,
  T0,
  taskId,
  text,
  transferTask,
  uniqueId,
  update,
  visibility,
} from '../support/fixtures.js';
import { defineConcurrencyCases } from './concurrency.js';
import { defineCrashCases } from './crash.js';
import { defineMigrationCases } from './migrations.js';
import { defineMultiShardCases } from './multi-shard.js';
import { defineBatchOperationCases } from './batch-operations.js';
import { defineScheduleCases } from './schedules.js';
import { defineVisibilityQueryCases } from './visibility-queries.js';

export interface SuiteContext {
  dialect: DialectName;
  db: TestDatabase;
  store: PersistenceStore;
}

export function defineConformanceSuite(dialect: DialectName): void {
  describe(`persistence conformance on ${dialect}`, () => {
    const ctx = {} as SuiteContext;
    let nextShard = 1;
    const freshShard = async (host = 'host-a') => {
      const shardId = nextShard++;
      const lease = await ctx.store.shards.acquireShard(shardId, host, 30_000, T0);
      return lease;
    };
    /**
     * Runs `body` with a store context of its own on the suite's database, so that its compiled-statement cache
     * (keyed by the context) can be read, and without PostgreSQL's pipelined commit.
     */
    const withOwnStore = async (body: (storeCtx: StoreContext) => Promise<void>) => {
      const opened = await openStoreContext({ url: ctx.db.url, poolSize: 2 });
      const storeCtx: StoreContext = { db: opened.db, dialect: opened.dialect, limits: opened.limits };
      try {
        await body(storeCtx);
      } finally {
        await storeCtx.db.destroy();
      }
    };

    before(async () => {
      ctx.dialect = dialect;
      ctx.db = await createTestDatabase(dialect);
      ctx.store = await openStore({ url: ctx.db.url, migrate: true, poolSize: 10 });
    });

    after(async () => {
      await ctx.store?.close();
      await ctx.db?.drop();
    });

    defineMigrationCases(ctx);
    defineVisibilityQueryCases(ctx);
    defineScheduleCases(ctx);
    defineBatchOperationCases(ctx);

    describe('cluster metadata', () => {
      test('the shard count is stored on first start and a different one is refused later', async () => {
        const first = await ctx.store.cluster.initOrVerifyClusterMetadata({
          clusterName: 'c1',
          shardCount: 512,
          now: T0,
        });
        assert.equal(first.shardCount, 512);
        const again = await ctx.store.cluster.initOrVerifyClusterMetadata({
          clusterName: 'c1',
          shardCount: 512,
          now: T0 + 5,
        });
        assert.equal(again.createdAt, T0);
        await assert.rejects(
          ctx.store.cluster.initOrVerifyClusterMetadata({ clusterName: 'c1', shardCount: 4, now: T0 }),
          (e: unknown) =>
            e instanceof ClusterMetadataMismatchError &&
            e.storedShardCount === 512 &&
            e.requestedShardCount === 4,
        );
      });
    });

    describe('shard leases', () => {
      test('acquire creates the shard at range 1, a second acquire steals it at range 2', async () => {
        const shardId = 9001;
        const a = await ctx.store.shards.acquireShard(shardId, 'host-a', 10_000, T0);
        assert.deepEqual(a, { shardId, rangeId: 1, ownerHostId: 'host-a' });
        const b = await ctx.store.shards.acquireShard(shardId, 'host-b', 10_000, T0 + 1);
        assert.equal(b.rangeId, 2);
        const stored = await ctx.store.shards.getShard(shardId);
        assert.equal(stored?.ownerHostId, 'host-b');
        assert.equal(stored?.leaseExpiresAt, T0 + 1 + 10_000);
        assert.ok(
          (await ctx.store.shards.listShards()).some((s) => s.shardId === shardId && s.rangeId === 2),
        );
      });

      test('renew extends the current lease and refuses a stolen one', async () => {
        const shardId = 9002;
        const a = await ctx.store.shards.acquireShard(shardId, 'host-a', 10_000, T0);
        const renewed = await ctx.store.shards.renewShard(a, 10_000, T0 + 500);
        assert.equal(renewed.leaseExpiresAt, T0 + 10_500);
        await ctx.store.shards.acquireShard(shardId, 'host-b', 10_000, T0 + 600);
        await assert.rejects(ctx.store.shards.renewShard(a, 10_000, T0 + 700), (e: unknown) => {
          assert.ok(e instanceof ShardOwnershipLostError);
          assert.equal(e.expectedRangeId, 1);
          assert.equal(e.actualRangeId, 2);
          return true;
        });
        assert.equal(await ctx.store.shards.getShard(424242), null);
      });
    });

    describe('creating workflow executions', () => {
      test('a brand-new create writes the run, the current row, history, tasks and visibility', async () => {
        const lease = await freshShard();
        const k = key();
        const t = create(k, lease.shardId, {
          eventCount: 3,
          tasks: [transferTask(k, taskId(lease.rangeId, 1))],
          visibility: visibility(k),
        });
        const result = await ctx.store.executions.createWorkflowExecution(lease, t);
        assert.deepEqual(result.dbVersions, [1]);
        const row = await ctx.store.executions.getExecution(k);
        assert.ok(row);
        assert.equal(row.dbVersion, 1);
        assert.equal(row.nextEventId, 4);
        assert.equal(row.shardId, lease.shardId);
        assert.deepEqual(row.state, bytes('state:1'));
        assert.equal(row.closeTime, null);
        const current = await ctx.store.executions.getCurrentExecution(NS, k.workflowId);
        assert.equal(current?.runId, k.runId);
        assert.equal(current?.createRequestId, t.createRequestId);
        const history = await ctx.store.history.readHistory(k, { pageSize: 100 });
        assert.deepEqual(
          history.events.map((e) => [e.eventId, text(e.data)]),
          [
            [1, 'e:1'],
            [2, 'e:2'],
            [3, 'e:3'],
          ],
        );
        const tasks = await ctx.store.outbox.readImmediateTasks(lease.shardId, 'transfer', {
          afterTaskId: 0,
          limit: 10,
        });
        assert.deepEqual(
          tasks.map((x) => [x.taskId, x.workflowId, x.taskType, text(x.data)]),
          [[taskId(lease.rangeId, 1), k.workflowId, 'WorkflowTask', `task:${taskId(lease.rangeId, 1)}`]],
        );
        assert.equal((await ctx.store.visibility.getVisibility(NS, k.runId))?.workflowType, 'OrderWorkflow');
      });

      test('a second start of the same workflow id is refused with the current run and its request id', async () => {
        const lease = await freshShard();
        const k = key();
        const first = create(k, lease.shardId);
        await ctx.store.executions.createWorkflowExecution(lease, first);
        const k2 = key(k.workflowId);
        await assert.rejects(
          ctx.store.executions.createWorkflowExecution(lease, create(k2, lease.shardId)),
          (e: unknown) => {
            assert.ok(e instanceof CurrentExecutionConflictError);
            assert.equal(e.currentRunId, k.runId);
            assert.equal(e.createRequestId, first.createRequestId);
            assert.equal(e.status, WorkflowStatus.RUNNING);
            assert.equal(e.startTime, T0);
            assert.equal(e.transitionIndex, 0);
            return true;
          },
        );
        assert.equal(await ctx.store.executions.getExecution(k2), null);
        assert.equal((await ctx.store.executions.getCurrentExecution(NS, k.workflowId))?.runId, k.runId);
      });

      test('replace moves the current row only from the expected run', async () => {
        const lease = await freshShard();
        const k1 = key();
        await ctx.store.executions.createWorkflowExecution(lease, create(k1, lease.shardId));
        const k2 = key(k1.workflowId);
        await assert.rejects(
          ctx.store.executions.createWorkflowExecution(
            lease,
            create(k2, lease.shardId, {
              current: { mode: 'replace', expectedCurrentRunId: 'some-other-run' },
            }),
          ),
          (e: unknown) => e instanceof CurrentExecutionConflictError && e.currentRunId === k1.runId,
        );
        assert.equal(await ctx.store.executions.getExecution(k2), null);
        const t2 = create(k2, lease.shardId, {
          current: { mode: 'replace', expectedCurrentRunId: k1.runId },
        });
        await ctx.store.executions.createWorkflowExecution(lease, t2);
        const current = await ctx.store.executions.getCurrentExecution(NS, k1.workflowId);
        assert.equal(current?.runId, k2.runId);
        assert.equal(current?.createRequestId, t2.createRequestId);
        assert.ok(await ctx.store.executions.getExecution(k1), 'the old run stays');
      });

      test('replace with no current row is a conflict naming no run', async () => {
        const lease = await freshShard();
        const k = key();
        await assert.rejects(
          ctx.store.executions.createWorkflowExecution(
            lease,
            create(k, lease.shardId, { current: { mode: 'replace', expectedCurrentRunId: 'gone' } }),
          ),
          (e: unknown) => e instanceof CurrentExecutionConflictError && e.currentRunId === '',
        );
      });

      test('a create reusing an existing run id is refused', async () => {
        const lease = await freshShard();
        const k1 = key();
        await ctx.store.executions.createWorkflowExecution(lease, create(k1, lease.shardId));
        const other = key(uniqueId('wf'), k1.runId);
        await ctx.store.executions.createWorkflowExecution(lease, create(other, lease.shardId));
        const dup = create(k1, lease.shardId, {
          current: { mode: 'replace', expectedCurrentRunId: k1.runId },
        });
        await assert.rejects(
          ctx.store.executions.createWorkflowExecution(lease, dup),
          ExecutionAlreadyExistsError,
        );
      });

      test('a create under the fence of another shard is refused as a bug', async () => {
        const lease = await freshShard();
        const k = key();
        await assert.rejects(
          ctx.store.executions.createWorkflowExecution(lease, create(k, lease.shardId + 1)),
          RangeError,
        );
        assert.equal(await ctx.store.executions.getCurrentExecution(NS, k.workflowId), null);
      });

      test('a create whose history does not start at event 1 is refused before writing', async () => {
        const lease = await freshShard();
        const k = key();
        const t = create(k, lease.shardId);
        t.events = events(2, 2);
        await assert.rejects(ctx.store.executions.createWorkflowExecution(lease, t), HistoryGapError);
        assert.equal(await ctx.store.executions.getCurrentExecution(NS, k.workflowId), null);
      });
    });

    describe('updating workflow executions', () => {
      test('an update compare-and-swaps the version and appends contiguous history with its tasks', async () => {
        const lease = await freshShard();
        const k = key();
        await ctx.store.executions.createWorkflowExecution(lease, create(k, lease.shardId));
        const result = await ctx.store.executions.updateWorkflowExecution(
          lease,
          update(k, 1, 3, 3, { tasks: [transferTask(k, taskId(lease.rangeId, 7))], updatedAt: T0 + 9 }),
        );
        assert.deepEqual(result.dbVersions, [2]);
        const row = await ctx.store.executions.getExecution(k);
        assert.equal(row?.dbVersion, 2);
        assert.equal(row?.nextEventId, 6);
        assert.equal(row?.updatedAt, T0 + 9);
        assert.deepEqual(row?.state, bytes('state:2'));
        const h = await ctx.store.history.readHistory(k, { pageSize: 100 });
        assert.deepEqual(
          h.events.map((e) => e.eventId),
          [1, 2, 3, 4, 5],
        );
      });

      test('a single update runs its compiled statement again with each call’s own values', async () => {
        // The one-statement-per-transition path, which PostgreSQL's pipelined commit would otherwise stand in for.
        await withOwnStore(async (storeCtx) => {
          const executions = new SqlExecutionStore(storeCtx);
          const lease = await freshShard();
          const [a, b] = [key(), key()];
          for (const k of [a, b]) await executions.createWorkflowExecution(lease, create(k, lease.shardId));
          await executions.updateWorkflowExecution(lease, update(a, 1, 3, 2, { updatedAt: T0 + 1 }));
          await executions.updateWorkflowExecution(lease, update(b, 1, 3, 3, { updatedAt: T0 + 2 }));
          await executions.updateWorkflowExecution(
            lease,
            update(b, 2, 6, 1, { status: WorkflowStatus.COMPLETED, closeTime: T0 + 5, updatedAt: T0 + 5 }),
          );
          const [rowA, rowB] = [await executions.getExecution(a), await executions.getExecution(b)];
          assert.deepEqual(
            [rowA?.dbVersion, rowA?.nextEventId, rowA?.updatedAt, text(rowA!.state), rowA?.status],
            [2, 5, T0 + 1, 'state:2', WorkflowStatus.RUNNING],
          );
          assert.deepEqual(
            [
              rowB?.dbVersion,
              rowB?.nextEventId,
              rowB?.updatedAt,
              text(rowB!.state),
              rowB?.status,
              rowB?.closeTime,
            ],
            [3, 7, T0 + 5, 'state:3', WorkflowStatus.COMPLETED, T0 + 5],
          );
          // Both shapes were compiled once and kept (their parameters line up with Kysely's), not built per call.
          const shapes = precompiledShapes(storeCtx).filter((shape) => shape.startsWith('applyUpdate:'));
          assert.deepEqual(shapes.sort(), ['applyUpdate:cu', 'applyUpdate:u']);
        });
      });

      test('a stale version is a version conflict and writes nothing', async () => {
        const lease = await freshShard();
        const k = key();
        await ctx.store.executions.createWorkflowExecution(lease, create(k, lease.shardId));
        await ctx.store.executions.updateWorkflowExecution(lease, update(k, 1, 3, 1));
        await assert.rejects(
          ctx.store.executions.updateWorkflowExecution(
            lease,
            update(k, 1, 4, 2, { tasks: [transferTask(k, taskId(lease.rangeId, 50))] }),
          ),
          (e: unknown) => {
            assert.ok(e instanceof ExecutionVersionConflictError);
            assert.equal(e.expectedDbVersion, 1);
            assert.equal(e.actualDbVersion, 2);
            return true;
          },
        );
        const row = await ctx.store.executions.getExecution(k);
        assert.equal(row?.nextEventId, 4);
        const h = await ctx.store.history.readHistory(k, { pageSize: 100 });
        assert.equal(h.events.length, 3);
        const tasks = await ctx.store.outbox.readImmediateTasks(lease.shardId, 'transfer', {
          afterTaskId: 0,
          limit: 10,
        });
        assert.equal(tasks.length, 0);
      });

      test('events that do not continue the history are a gap and write nothing', async () => {
        const lease = await freshShard();
        const k = key();
        await ctx.store.executions.createWorkflowExecution(lease, create(k, lease.shardId));
        await assert.rejects(
          ctx.store.executions.updateWorkflowExecution(lease, update(k, 1, 5, 1)),
          (e: unknown) => e instanceof HistoryGapError && e.expectedEventId === 3 && e.actualEventId === 5,
        );
        const broken = update(k, 1, 3, 2);
        broken.events = [broken.events[0]!, { eventId: 5, data: bytes('x') }];
        await assert.rejects(ctx.store.executions.updateWorkflowExecution(lease, broken), HistoryGapError);
        assert.equal((await ctx.store.executions.getExecution(k))?.dbVersion, 1);
      });

      test('a lost shard fence is its own error and writes nothing', async () => {
        const lease = await freshShard('host-a');
        const k = key();
        await ctx.store.executions.createWorkflowExecution(lease, create(k, lease.shardId));
        const thief = await ctx.store.shards.acquireShard(lease.shardId, 'host-b', 30_000, T0);
        await assert.rejects(
          ctx.store.executions.updateWorkflowExecution(
            lease,
            update(k, 1, 3, 1, { tasks: [transferTask(k, taskId(lease.rangeId, 2))] }),
          ),
          (e: unknown) => {
            assert.ok(e instanceof ShardOwnershipLostError);
            assert.equal(e.expectedRangeId, lease.rangeId);
            assert.equal(e.actualRangeId, thief.rangeId);
            return true;
          },
        );
        assert.equal((await ctx.store.executions.getExecution(k))?.dbVersion, 1);
        const k2 = key();
        await assert.rejects(
          ctx.store.executions.createWorkflowExecution(lease, create(k2, lease.shardId)),
          ShardOwnershipLostError,
        );
        assert.equal(await ctx.store.executions.getCurrentExecution(NS, k2.workflowId), null);
        await ctx.store.executions.updateWorkflowExecution(thief, update(k, 1, 3, 1));
        assert.equal((await ctx.store.executions.getExecution(k))?.dbVersion, 2);
      });

      test('an unknown shard or run is reported as such', async () => {
        await assert.rejects(
          ctx.store.executions.updateWorkflowExecution(
            { shardId: 777_777, rangeId: 1 },
            update(key(), 1, 1, 1),
          ),
          (e: unknown) => e instanceof ShardOwnershipLostError && e.actualRangeId === null,
        );
        const lease = await freshShard();
        await assert.rejects(
          ctx.store.executions.updateWorkflowExecution(lease, update(key(), 1, 1, 1)),
          ExecutionNotFoundError,
        );
      });

      test('closing a run updates the current row only while it points at the run', async () => {
        const lease = await freshShard();
        const k = key();
        await ctx.store.executions.createWorkflowExecution(lease, create(k, lease.shardId));
        await ctx.store.executions.updateWorkflowExecution(
          lease,
          update(k, 1, 3, 1, {
            status: WorkflowStatus.COMPLETED,
            closeTime: T0 + 100,
            updateCurrent: { status: WorkflowStatus.COMPLETED, closeTime: T0 + 100 },
          }),
        );
        const current = await ctx.store.executions.getCurrentExecution(NS, k.workflowId);
        assert.equal(current?.status, WorkflowStatus.COMPLETED);
        assert.equal(current?.closeTime, T0 + 100);
        assert.equal((await ctx.store.executions.getExecution(k))?.closeTime, T0 + 100);
      });
    });

    describe('group commit', () => {
      test('transitions of many runs commit together in one transaction', async () => {
        const lease = await freshShard();
        const keys = Array.from({ length: 20 }, () => key());
        const creates = keys.map((k, i) =>
          create(k, lease.shardId, { tasks: [transferTask(k, taskId(lease.rangeId, i + 1))] }),
        );
        const r = await ctx.store.executions.commitShardBatch(lease, creates);
        assert.equal(r.dbVersions.length, 20);
        const updates = keys.flatMap((k) => [update(k, 1, 3, 2), update(k, 2, 5, 1)]);
        const r2 = await ctx.store.executions.commitShardBatch(lease, updates);
        assert.deepEqual(
          r2.dbVersions,
          keys.flatMap(() => [2, 3]),
        );
        for (const k of keys) {
          const h = await ctx.store.history.readHistory(k, { pageSize: 100 });
          assert.deepEqual(
            h.events.map((e) => e.eventId),
            [1, 2, 3, 4, 5],
          );
        }
        const tasks = await ctx.store.outbox.readImmediateTasks(lease.shardId, 'transfer', {
          afterTaskId: 0,
          limit: 100,
        });
        assert.equal(tasks.length, 20);
      });

      test('groups of every size append their events and close their runs; row by row, one statement text serves them all', async () => {
        await withOwnStore(async (storeCtx) => {
          const executions = new SqlExecutionStore(storeCtx);
          const lease = await freshShard();
          for (const size of [1, 3, 7, 12]) {
            const keys = Array.from({ length: size }, () => key());
            await executions.commitShardBatch(
              lease,
              keys.map((k) => create(k, lease.shardId)),
            );
            // Every other run closes: the group's CAS update and its current-row closes, one statement each.
            const closes = (i: number) =>
              i % 2 === 1
                ? {
                    status: WorkflowStatus.COMPLETED,
                    closeTime: T0 + i,
                    updateCurrent: { status: WorkflowStatus.COMPLETED, closeTime: T0 + i },
                  }
                : {};
            const updates = keys.map((k, i) => update(k, 1, 3, 2, closes(i)));
            await executions.commitShardBatch(lease, updates);
            for (const [i, k] of keys.entries()) {
              const h = await ctx.store.history.readHistory(k, { pageSize: 100 });
              assert.deepEqual(
                h.events.map((e) => e.eventId),
                [1, 2, 3, 4],
              );
              const current = await ctx.store.executions.getCurrentExecution(NS, k.workflowId);
              assert.equal(current?.status, i % 2 === 1 ? WorkflowStatus.COMPLETED : WorkflowStatus.RUNNING);
            }
          }
          // SQLite, where a statement is no round trip, writes many rows row by row (docs/persistence.md): its
          // inserts, CAS updates and current-row closes each have the one-row statement's shape only.
          assert.equal(storeCtx.dialect.writesRowByRow, storeCtx.dialect.name === 'sqlite');
          if (storeCtx.dialect.writesRowByRow) {
            const rowCounts = (prefix: string) => [
              ...new Set(
                precompiledShapes(storeCtx)
                  .filter((shape) => shape.startsWith(prefix))
                  .map((shape) => shape.split('\u0000').at(-1)),
              ),
            ];
            assert.deepEqual(rowCounts('insert\u0000history_events\u0000'), ['1']);
            assert.deepEqual(rowCounts('bulkUpdate\u0000'), ['1']);
            assert.deepEqual(rowCounts('bulkUpdateCurrent\u0000'), ['1']);
          }
        });
      });

      test('a group of updates to distinct runs applies each run its own state, close and current row', async () => {
        const lease = await freshShard();
        const keys = Array.from({ length: 12 }, () => key());
        await ctx.store.executions.commitShardBatch(
          lease,
          keys.map((k) => create(k, lease.shardId)),
        );
        const closing = new Set([0, 5, 11]);
        const batch = keys.map((k, i) =>
          update(k, 1, 3, (i % 3) + 1, {
            state: bytes(`state-of-${i}`),
            updatedAt: T0 + i,
            tasks: [transferTask(k, taskId(lease.rangeId, 100 + i))],
            ...(closing.has(i)
              ? {
                  status: WorkflowStatus.COMPLETED,
                  closeTime: T0 + 1000 + i,
                  updateCurrent: { status: WorkflowStatus.COMPLETED, closeTime: T0 + 1000 + i },
                }
              : {}),
          }),
        );
        const fresh = key();
        const r = await ctx.store.executions.commitShardBatch(lease, [
          ...batch,
          create(fresh, lease.shardId),
        ]);
        assert.deepEqual(r.dbVersions, [...keys.map(() => 2), 1]);
        for (const [i, k] of keys.entries()) {
          const row = await ctx.store.executions.getExecution(k);
          assert.equal(row?.dbVersion, 2);
          assert.equal(row?.nextEventId, 3 + (i % 3) + 1);
          assert.deepEqual(row?.state, bytes(`state-of-${i}`));
          assert.equal(row?.updatedAt, T0 + i);
          assert.equal(row?.closeTime, closing.has(i) ? T0 + 1000 + i : null);
          const current = await ctx.store.executions.getCurrentExecution(NS, k.workflowId);
          assert.equal(current?.status, closing.has(i) ? WorkflowStatus.COMPLETED : WorkflowStatus.RUNNING);
          const h = await ctx.store.history.readHistory(k, { pageSize: 100 });
          assert.equal(h.events.length, 2 + (i % 3) + 1);
        }
        assert.ok(await ctx.store.executions.getExecution(fresh));
        // A second group where one run is stale: nothing of the group lands, and the stale index is named.
        const next = keys.map((k, i) => update(k, i === 7 ? 1 : 2, 3 + (i % 3) + 1, 1));
        await assert.rejects(
          ctx.store.executions.commitShardBatch(lease, next),
          (e: unknown) => e instanceof ExecutionVersionConflictError && e.transitionIndex === 7,
        );
        assert.equal((await ctx.store.executions.getExecution(keys[0]!))?.dbVersion, 2);
      });

      test('one failing transition rolls the whole batch back and names its index', async () => {
        const lease = await freshShard();
        const a = key();
        const b = key();
        await ctx.store.executions.commitShardBatch(lease, [
          create(a, lease.shardId),
          create(b, lease.shardId),
        ]);
        const fresh = key();
        await assert.rejects(
          ctx.store.executions.commitShardBatch(lease, [
            update(a, 1, 3, 1),
            create(fresh, lease.shardId, { tasks: [transferTask(fresh, taskId(lease.rangeId, 99))] }),
            update(b, 5, 3, 1),
          ]),
          (e: unknown) => e instanceof ExecutionVersionConflictError && e.transitionIndex === 2,
        );
        assert.equal((await ctx.store.executions.getExecution(a))?.dbVersion, 1);
        assert.equal(await ctx.store.executions.getExecution(fresh), null);
        assert.equal(await ctx.store.executions.getCurrentExecution(NS, fresh.workflowId), null);
        const tasks = await ctx.store.outbox.readImmediateTasks(lease.shardId, 'transfer', {
          afterTaskId: 0,
          limit: 10,
        });
        assert.equal(tasks.length, 0);
      });

      test('the first failing transition is the one reported, whichever kinds fail later', async () => {
        const lease = await freshShard();
        const [a, b, taken] = [key(), key(), key()];
        await ctx.store.executions.commitShardBatch(lease, [
          create(a, lease.shardId),
          create(b, lease.shardId),
          create(taken, lease.shardId),
        ]);
        await assert.rejects(
          ctx.store.executions.commitShardBatch(lease, [
            update(a, 9, 3, 1),
            update(b, 1, 3, 1),
            create(key(taken.workflowId), lease.shardId),
          ]),
          (e: unknown) => e instanceof ExecutionVersionConflictError && e.transitionIndex === 0,
        );
        assert.equal((await ctx.store.executions.getExecution(b))?.dbVersion, 1);
      });

      test('a group whose new run takes a used workflow id names that run, and nothing of the group lands', async () => {
        const lease = await freshShard();
        const [a, b, taken] = [key(), key(), key()];
        await ctx.store.executions.commitShardBatch(lease, [
          create(a, lease.shardId),
          create(b, lease.shardId),
          create(taken, lease.shardId),
        ]);
        const fresh = key();
        await assert.rejects(
          ctx.store.executions.commitShardBatch(lease, [
            update(a, 1, 3, 1),
            create(fresh, lease.shardId),
            update(b, 1, 3, 1),
            create(key(taken.workflowId), lease.shardId),
          ]),
          (e: unknown) =>
            e instanceof CurrentExecutionConflictError &&
            e.transitionIndex === 3 &&
            e.currentRunId === taken.runId,
        );
        assert.equal((await ctx.store.executions.getExecution(a))?.dbVersion, 1);
        assert.equal((await ctx.store.executions.getExecution(b))?.dbVersion, 1);
        assert.equal(await ctx.store.executions.getExecution(fresh), null);
        assert.equal(await ctx.store.executions.getCurrentExecution(NS, fresh.workflowId), null);
        // The same group without the conflicting start lands whole, new run included.
        const r = await ctx.store.executions.commitShardBatch(lease, [
          update(a, 1, 3, 1),
          create(fresh, lease.shardId),
          update(b, 1, 3, 1),
        ]);
        assert.deepEqual(r.dbVersions, [2, 1, 2]);
        assert.equal(
          (await ctx.store.executions.getCurrentExecution(NS, fresh.workflowId))?.runId,
          fresh.runId,
        );
        assert.equal((await ctx.store.executions.getExecution(fresh))?.nextEventId, 3);
      });

      test('a batch appending hundreds of events per run is stored whole', async () => {
        const lease = await freshShard();
        const k = key();
        await ctx.store.executions.commitShardBatch(lease, [
          create(k, lease.shardId, { eventCount: 450 }),
          update(k, 1, 451, 300),
        ]);
        assert.equal((await ctx.store.executions.getExecution(k))?.nextEventId, 751);
        let token: string | undefined;
        let seen = 0;
        do {
          const page = await ctx.store.history.readHistory(k, {
            pageSize: 256,
            ...(token ? { pageToken: token } : {}),
          });
          for (const e of page.events) assert.equal(e.eventId, ++seen);
          token = page.nextPageToken;
        } while (token !== undefined);
        assert.equal(seen, 750);
      });
    });

    describe('history reads', () => {
      test('pages by event id with an opaque token pinned to the first read', async () => {
        const lease = await freshShard();
        const k = key();
        await ctx.store.executions.createWorkflowExecution(
          lease,
          create(k, lease.shardId, { eventCount: 25 }),
        );
        const p1 = await ctx.store.history.readHistory(k, { pageSize: 10 });
        assert.deepEqual(
          p1.events.map((e) => e.eventId),
          [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        );
        assert.ok(p1.nextPageToken);
        // Events appended after the first page must not show up in this read.
        await ctx.store.executions.updateWorkflowExecution(lease, update(k, 1, 26, 10));
        const p2 = await ctx.store.history.readHistory(k, { pageSize: 10, pageToken: p1.nextPageToken });
        const p3 = await ctx.store.history.readHistory(k, { pageSize: 10, pageToken: p2.nextPageToken! });
        assert.deepEqual(
          p3.events.map((e) => e.eventId),
          [21, 22, 23, 24, 25],
        );
        assert.equal(p3.nextPageToken, undefined);
        const window = await ctx.store.history.readHistory(k, {
          minEventId: 30,
          maxEventId: 33,
          pageSize: 10,
        });
        assert.deepEqual(
          window.events.map((e) => e.eventId),
          [30, 31, 32],
        );
        await assert.rejects(
          ctx.store.history.readHistory(k, { pageSize: 10, pageToken: 'not-a-token' }),
          InvalidPageTokenError,
        );
        await assert.rejects(ctx.store.history.readHistory(key(), { pageSize: 10 }), ExecutionNotFoundError);
      });
    });

    describe('outbox tasks', () => {
      test('immediate tasks read in task id order after a cursor, and complete by id or by range', async () => {
        const lease = await freshShard();
        const k = key();
        const ids = [5, 1, 4, 2, 3].map((n) => taskId(lease.rangeId, n));
        await ctx.store.executions.createWorkflowExecution(
          lease,
          create(k, lease.shardId, {
            tasks: [
              ...ids.map((id) => transferTask(k, id)),
              { ...transferTask(k, taskId(lease.rangeId, 1), 'Upsert'), category: 'visibility' },
            ],
          }),
        );
        const all = await ctx.store.outbox.readImmediateTasks(lease.shardId, 'transfer', {
          afterTaskId: 0,
          limit: 10,
        });
        assert.deepEqual(
          all.map((t) => t.taskId),
          [...ids].sort((a, b) => a - b),
        );
        const after2 = await ctx.store.outbox.readImmediateTasks(lease.shardId, 'transfer', {
          afterTaskId: taskId(lease.rangeId, 2),
          limit: 2,
        });
        assert.deepEqual(
          after2.map((t) => t.taskId),
          [taskId(lease.rangeId, 3), taskId(lease.rangeId, 4)],
        );
        const bounded = await ctx.store.outbox.readImmediateTasks(lease.shardId, 'transfer', {
          afterTaskId: 0,
          limit: 10,
          maxTaskIdExclusive: taskId(lease.rangeId, 3),
        });
        assert.equal(bounded.length, 2);
        assert.equal(
          await ctx.store.outbox.deleteImmediateTasks(lease.shardId, 'transfer', [taskId(lease.rangeId, 4)]),
          1,
        );
        assert.equal(
          await ctx.store.outbox.deleteImmediateTasksUpTo(
            lease.shardId,
            'transfer',
            taskId(lease.rangeId, 3),
          ),
          3,
        );
        const left = await ctx.store.outbox.readImmediateTasks(lease.shardId, 'transfer', {
          afterTaskId: 0,
          limit: 10,
        });
        assert.deepEqual(
          left.map((t) => t.taskId),
          [taskId(lease.rangeId, 5)],
        );
        const vis = await ctx.store.outbox.readImmediateTasks(lease.shardId, 'visibility', {
          afterTaskId: 0,
          limit: 10,
        });
        assert.deepEqual(
          vis.map((t) => [t.category, t.taskType]),
          [['visibility', 'Upsert']],
        );
      });

      test('timer tasks read by fire time then task id, only when due, and delete by key', async () => {
        const lease = await freshShard();
        const k = key();
        const timer = (fireTime: number, n: number) => ({
          ...transferTask(k, taskId(lease.rangeId, n), 'UserTimer'),
          category: 'timer' as const,
          fireTime,
        });
        await ctx.store.executions.createWorkflowExecution(
          lease,
          create(k, lease.shardId, {
            tasks: [
              timer(T0 + 300, 1),
              timer(T0 + 100, 2),
              timer(T0 + 100, 3),
              timer(T0 + 200, 4),
              timer(T0 + 900, 5),
            ],
          }),
        );
        const due = await ctx.store.outbox.readTimerTasks(lease.shardId, {
          maxFireTime: T0 + 300,
          limit: 10,
        });
        assert.deepEqual(
          due.map((t) => [t.fireTime - T0, t.taskId - taskId(lease.rangeId, 0)]),
          [
            [100, 2],
            [100, 3],
            [200, 4],
            [300, 1],
          ],
        );
        const next = await ctx.store.outbox.readTimerTasks(lease.shardId, {
          maxFireTime: T0 + 1000,
          limit: 2,
          after: { fireTime: T0 + 100, taskId: taskId(lease.rangeId, 2) },
        });
        assert.deepEqual(
          next.map((t) => t.taskId - taskId(lease.rangeId, 0)),
          [3, 4],
        );
        const removed = await ctx.store.outbox.deleteTimerTasks(lease.shardId, [
          { fireTime: T0 + 100, taskId: taskId(lease.rangeId, 2) },
          { fireTime: T0 + 300, taskId: taskId(lease.rangeId, 1) },
          { fireTime: T0 + 999, taskId: taskId(lease.rangeId, 5) },
        ]);
        assert.equal(removed, 2);
        const rest = await ctx.store.outbox.readTimerTasks(lease.shardId, {
          maxFireTime: T0 + 1000,
          limit: 10,
        });
        assert.deepEqual(
          rest.map((t) => t.taskId - taskId(lease.rangeId, 0)),
          [3, 4, 5],
        );
      });

      test('acked tasks of any shards are deleted inside a group commit, or not at all when it fails', async () => {
        const [a, b] = [await freshShard(), await freshShard()];
        const [ka, kb] = [key(), key()];
        const timer = (k: typeof ka, rangeId: number, n: number) => ({
          ...transferTask(k, taskId(rangeId, n), 'UserTimer'),
          category: 'timer' as const,
          fireTime: T0 + n,
        });
        await ctx.store.executions.commitShardBatches([
          {
            fence: a,
            transitions: [
              create(ka, a.shardId, {
                tasks: [
                  transferTask(ka, taskId(a.rangeId, 1)),
                  timer(ka, a.rangeId, 2),
                  timer(ka, a.rangeId, 3),
                ],
              }),
            ],
          },
          {
            fence: b,
            transitions: [create(kb, b.shardId, { tasks: [transferTask(kb, taskId(b.rangeId, 1))] })],
          },
        ]);
        const acks = {
          transfer: [
            { shardId: a.shardId, taskId: taskId(a.rangeId, 1) },
            { shardId: b.shardId, taskId: taskId(b.rangeId, 1) },
          ],
          timer: [{ shardId: a.shardId, fireTime: T0 + 2, taskId: taskId(a.rangeId, 2) }],
        };
        const transfers = async (lease: typeof a) =>
          (
            await ctx.store.outbox.readImmediateTasks(lease.shardId, 'transfer', {
              afterTaskId: 0,
              limit: 10,
            })
          ).length;
        const timers = async () =>
          (await ctx.store.outbox.readTimerTasks(a.shardId, { maxFireTime: T0 + 10, limit: 10 })).map(
            (t) => t.fireTime - T0,
          );
        // A failing commit (a stale version) rolls its acks back with it.
        await assert.rejects(
          ctx.store.executions.commitShardBatches([{ fence: a, transitions: [update(ka, 7, 3, 1)] }], acks),
          (e: unknown) => e instanceof ExecutionVersionConflictError,
        );
        assert.deepEqual([await transfers(a), await transfers(b), await timers()], [1, 1, [2, 3]]);
        // A commit of shard b alone deletes the acked rows of both shards.
        await ctx.store.executions.commitShardBatches(
          [{ fence: b, transitions: [update(kb, 1, 3, 1)] }],
          acks,
        );
        assert.deepEqual([await transfers(a), await transfers(b), await timers()], [0, 0, [3]]);
        // Without a commit to ride on, acks go in a transaction of their own.
        await ctx.store.outbox.deleteAcked({
          transfer: [],
          timer: [{ shardId: a.shardId, fireTime: T0 + 3, taskId: taskId(a.rangeId, 3) }],
        });
        assert.deepEqual(await timers(), []);
      });
    });

    describe('matching backlog', () => {
      test('the backlog is written, read and completed under the task queue lease', async () => {
        const name = uniqueId('tq');
        const lease = await ctx.store.matching.acquireTaskQueueLease(NS, name, TaskQueueType.WORKFLOW, T0);
        assert.equal(lease.rangeId, 1);
        const tasks = [1, 2, 3, 4].map((n) => ({
          taskId: n,
          data: bytes(`m${n}`),
          expiresAt: n === 2 ? T0 + 10 : null,
          createdAt: T0,
        }));
        await ctx.store.matching.createMatchingTasks(lease, tasks);
        const read = await ctx.store.matching.readMatchingTasks(NS, name, TaskQueueType.WORKFLOW, {
          afterTaskId: 0,
          limit: 10,
        });
        assert.deepEqual(
          read.map((t) => [t.taskId, text(t.data)]),
          [
            [1, 'm1'],
            [2, 'm2'],
            [3, 'm3'],
            [4, 'm4'],
          ],
        );
        const live = await ctx.store.matching.readMatchingTasks(NS, name, TaskQueueType.WORKFLOW, {
          afterTaskId: 0,
          limit: 10,
          now: T0 + 50,
        });
        assert.deepEqual(
          live.map((t) => t.taskId),
          [1, 3, 4],
        );
        assert.equal(await ctx.store.matching.completeMatchingTasks(lease, [3]), 1);
        assert.equal(await ctx.store.matching.completeMatchingTasksUpTo(lease, 2), 2);
        assert.equal((await ctx.store.matching.getTaskQueue(NS, name, TaskQueueType.WORKFLOW))?.ackLevel, 2);
        const other = await ctx.store.matching.readMatchingTasks(NS, name, TaskQueueType.ACTIVITY, {
          afterTaskId: 0,
          limit: 10,
        });
        assert.equal(other.length, 0);
      });

      test('a moved lease refuses writes and completions', async () => {
        const name = uniqueId('tq');
        const old = await ctx.store.matching.acquireTaskQueueLease(NS, name, TaskQueueType.ACTIVITY);
        await ctx.store.matching.createMatchingTasks(old, [{ taskId: 1, data: bytes('a'), createdAt: T0 }]);
        const now = await ctx.store.matching.acquireTaskQueueLease(NS, name, TaskQueueType.ACTIVITY);
        assert.equal(now.rangeId, 2);
        await assert.rejects(
          ctx.store.matching.createMatchingTasks(old, [{ taskId: 2, data: bytes('b'), createdAt: T0 }]),
          (e: unknown) =>
            e instanceof TaskQueueLeaseLostError && e.expectedRangeId === 1 && e.actualRangeId === 2,
        );
        await assert.rejects(ctx.store.matching.completeMatchingTasks(old, [1]), TaskQueueLeaseLostError);
        await assert.rejects(ctx.store.matching.completeMatchingTasksUpTo(old, 1), TaskQueueLeaseLostError);
        const read = await ctx.store.matching.readMatchingTasks(NS, name, TaskQueueType.ACTIVITY, {
          afterTaskId: 0,
          limit: 10,
        });
        assert.deepEqual(
          read.map((t) => t.taskId),
          [1],
        );
      });
    });

    describe('visibility', () => {
      test('an older state version never overwrites a newer one', async () => {
        const k = key();
        await ctx.store.visibility.upsertVisibility([visibility(k, { stateVersion: 5, historyLength: 50 })]);
        await ctx.store.visibility.upsertVisibility([
          visibility(k, { stateVersion: 3, historyLength: 30, status: WorkflowStatus.FAILED }),
        ]);
        let got = await ctx.store.visibility.getVisibility(NS, k.runId);
        assert.equal(got?.historyLength, 50);
        assert.equal(got?.status, WorkflowStatus.RUNNING);
        await ctx.store.visibility.upsertVisibility([
          visibility(k, {
            stateVersion: 6,
            status: WorkflowStatus.COMPLETED,
            closeTime: T0 + 5,
            memo: bytes('memo'),
            searchAttributes: {
              CustomKeywordField: { type: 'Keyword', value: 'gold' },
              n: { type: 'Int', value: 3 },
            },
          }),
        ]);
        got = await ctx.store.visibility.getVisibility(NS, k.runId);
        assert.equal(got?.status, WorkflowStatus.COMPLETED);
        assert.equal(got?.closeTime, T0 + 5);
        assert.deepEqual(got?.memo, bytes('memo'));
        assert.deepEqual(got?.searchAttributes, {
          CustomKeywordField: { type: 'Keyword', value: 'gold' },
          n: { type: 'Int', value: 3 },
        });
        assert.equal(got?.executionDuration, 5);
      });

      test('a later record of a run changes what changes while it runs; what its start fixed stays as first written', async () => {
        const k = key();
        await ctx.store.visibility.upsertVisibility([visibility(k, { stateVersion: 1 })]);
        await ctx.store.visibility.upsertVisibility([
          visibility(k, {
            stateVersion: 2,
            status: WorkflowStatus.COMPLETED,
            closeTime: T0 + 7,
            historyLength: 9,
            // A record never carries other start fields for the same run; if one did, the first stays.
            workflowType: 'Other',
            startTime: T0 + 1,
            taskQueue: 'elsewhere',
          }),
        ]);
        const got = await ctx.store.visibility.getVisibility(NS, k.runId);
        assert.equal(got?.status, WorkflowStatus.COMPLETED);
        assert.equal(got?.closeTime, T0 + 7);
        assert.equal(got?.historyLength, 9);
        assert.equal(got?.workflowType, 'OrderWorkflow');
        assert.equal(got?.startTime, T0);
        assert.equal(got?.taskQueue, 'orders');
        assert.equal(got?.workflowId, k.workflowId);
      });

      test("list pages in Temporal's order (open runs first, then by close time) with a cursor, filters and counts", async () => {
        const ns = uniqueId('vis-ns');
        const records = Array.from({ length: 13 }, (_, i) => {
          const k = key(`wf-${i % 3}`, `run-${String(i).padStart(2, '0')}`, ns);
          return visibility(k, {
            startTime: T0 + Math.floor(i / 2) * 1000,
            workflowType: i % 2 === 0 ? 'Even' : 'Odd',
            status: i < 4 ? WorkflowStatus.COMPLETED : WorkflowStatus.RUNNING,
            closeTime: i < 4 ? T0 + 50_000 + i : null,
          });
        });
        await ctx.store.visibility.upsertVisibility(records);
        const seen: string[] = [];
        let token: string | undefined;
        do {
          const page = await ctx.store.visibility.listVisibility(
            ns,
            {},
            { pageSize: 4, ...(token ? { pageToken: token } : {}) },
          );
          assert.ok(page.items.length <= 4);
          seen.push(...page.items.map((r) => r.runId));
          token = page.nextPageToken;
        } while (token !== undefined);
        const closeKey = (r: (typeof records)[number]) => r.closeTime ?? Number.MAX_SAFE_INTEGER;
        const expected = [...records]
          .sort(
            (a, b) => closeKey(b) - closeKey(a) || b.startTime - a.startTime || (a.runId < b.runId ? 1 : -1),
          )
          .map((r) => r.runId);
        assert.deepEqual(seen, expected);
        assert.equal(await ctx.store.visibility.countVisibility(ns, {}), 13);
        assert.equal(await ctx.store.visibility.countVisibility(ns, { status: WorkflowStatus.COMPLETED }), 4);
        assert.equal(await ctx.store.visibility.countVisibility(ns, { workflowType: 'Odd' }), 6);
        assert.equal(await ctx.store.visibility.countVisibility(ns, { workflowId: 'wf-1' }), 4);
        assert.equal(
          await ctx.store.visibility.countVisibility(ns, {
            startTimeFrom: T0 + 2000,
            startTimeTo: T0 + 3000,
          }),
          4,
        );
        assert.equal(
          await ctx.store.visibility.countVisibility(ns, {
            closeTimeFrom: T0 + 50_001,
            closeTimeTo: T0 + 50_002,
          }),
          2,
        );
        const filtered = await ctx.store.visibility.listVisibility(
          ns,
          { workflowType: 'Even', status: WorkflowStatus.RUNNING },
          { pageSize: 100 },
        );
        assert.deepEqual(
          filtered.items.map((r) => r.runId),
          ['run-12', 'run-10', 'run-08', 'run-06', 'run-04'],
        );
        assert.equal(await ctx.store.visibility.countVisibility(uniqueId('empty-ns'), {}), 0);
        await ctx.store.visibility.deleteVisibility(ns, 'run-12');
        assert.equal(await ctx.store.visibility.getVisibility(ns, 'run-12'), null);
      });
    });

    describe('retention', () => {
      test('closed runs past the cutoff are deleted with their history, current row and visibility', async () => {
        const lease = await freshShard();
        const ns = uniqueId('ret-ns');
        const closeAt = (k: ReturnType<typeof key>, closeTime: number) =>
          update(k, 1, 3, 1, {
            status: WorkflowStatus.COMPLETED,
            closeTime,
            updateCurrent: { status: WorkflowStatus.COMPLETED, closeTime },
            visibility: visibility(k, { status: WorkflowStatus.COMPLETED, closeTime, stateVersion: 2 }),
          });
        const old = Array.from({ length: 7 }, () => key(uniqueId('wf'), uniqueId('run'), ns));
        const recent = key(uniqueId('wf'), uniqueId('run'), ns);
        const running = key(uniqueId('wf'), uniqueId('run'), ns);
        const otherNs = key();
        const all = [...old, recent, running, otherNs];
        await ctx.store.executions.commitShardBatch(
          lease,
          all.map((k) => create(k, lease.shardId, { visibility: visibility(k) })),
        );
        await ctx.store.executions.commitShardBatch(lease, [
          ...old.map((k, i) => closeAt(k, T0 + i)),
          closeAt(recent, T0 + 10_000),
          closeAt(otherNs, T0),
        ]);
        const deleted = await ctx.store.retention.deleteClosedExecutions({
          namespaceId: ns,
          closedBefore: T0 + 5_000,
          batchSize: 3,
        });
        assert.equal(deleted, 7);
        for (const k of old) {
          assert.equal(await ctx.store.executions.getExecution(k), null);
          assert.equal(await ctx.store.executions.getCurrentExecution(ns, k.workflowId), null);
          assert.equal(await ctx.store.visibility.getVisibility(ns, k.runId), null);
          await assert.rejects(ctx.store.history.readHistory(k, { pageSize: 10 }), ExecutionNotFoundError);
        }
        for (const k of [recent, running, otherNs]) assert.ok(await ctx.store.executions.getExecution(k));
        assert.equal((await ctx.store.history.readHistory(recent, { pageSize: 10 })).events.length, 3);
        assert.equal(await ctx.store.visibility.countVisibility(ns, {}), 2);
        // What the deleted-namespace worker reads: the open runs, and runs plus visibility records left.
        assert.deepEqual(await ctx.store.retention.listOpenExecutions({ namespaceId: ns, limit: 10 }), [
          { workflowId: running.workflowId, runId: running.runId },
        ]);
        assert.equal(await ctx.store.retention.countNamespaceExecutions(ns), 4);
        assert.equal(await ctx.store.retention.countNamespaceExecutions(uniqueId('no-ns')), 0);
      });

      test('a fenced delete removes one run', async () => {
        const lease = await freshShard();
        const k = key();
        await ctx.store.executions.createWorkflowExecution(
          lease,
          create(k, lease.shardId, { visibility: visibility(k) }),
        );
        await ctx.store.executions.deleteWorkflowExecution(lease, k);
        assert.equal(await ctx.store.executions.getExecution(k), null);
        assert.equal(await ctx.store.executions.getCurrentExecution(NS, k.workflowId), null);
        assert.equal(await ctx.store.visibility.getVisibility(NS, k.runId), null);
      });
    });

    describe('namespaces', () => {
      test('create, describe, update by version, and list by name pages', async () => {
        const base = {
          state: 1,
          description: 'orders',
          ownerEmail: 'ops@example.com',
          retentionMs: 86_400_000,
          createdAt: T0,
          updatedAt: T0,
        };
        const prefix = uniqueId('nsp');
        const created = await ctx.store.namespaces.createNamespace({
          ...base,
          id: `${prefix}-id-b`,
          name: `${prefix}-b`,
        });
        assert.equal(created.version, 1);
        await ctx.store.namespaces.createNamespace({
          ...base,
          id: `${prefix}-id-a`,
          name: `${prefix}-a`,
          data: bytes('d'),
        });
        await ctx.store.namespaces.createNamespace({ ...base, id: `${prefix}-id-c`, name: `${prefix}-c` });
        await assert.rejects(
          ctx.store.namespaces.createNamespace({ ...base, id: `${prefix}-id-x`, name: `${prefix}-b` }),
          NamespaceAlreadyExistsError,
        );
        const a = await ctx.store.namespaces.getNamespaceByName(`${prefix}-a`);
        assert.deepEqual(a?.data, bytes('d'));
        assert.equal((await ctx.store.namespaces.getNamespaceById(`${prefix}-id-c`))?.name, `${prefix}-c`);
        const updated = await ctx.store.namespaces.updateNamespace(
          { ...base, id: created.id, name: created.name, retentionMs: 1000, updatedAt: T0 + 1 },
          1,
        );
        assert.equal(updated.version, 2);
        assert.equal(updated.retentionMs, 1000);
        assert.equal(updated.createdAt, T0);
        await assert.rejects(
          ctx.store.namespaces.updateNamespace({ ...base, id: created.id, name: created.name }, 1),
          (e: unknown) => e instanceof NamespaceVersionConflictError && e.actualVersion === 2,
        );
        await assert.rejects(
          ctx.store.namespaces.updateNamespace({ ...base, id: 'missing', name: 'missing' }, 1),
          NamespaceNotFoundError,
        );
        const names: string[] = [];
        let token: string | undefined;
        do {
          const page = await ctx.store.namespaces.listNamespaces({
            pageSize: 2,
            ...(token ? { pageToken: token } : {}),
          });
          names.push(...page.items.map((n) => n.name));
          token = page.nextPageToken;
        } while (token !== undefined);
        const mine = names.filter((n) => n.startsWith(prefix));
        assert.deepEqual(mine, [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
        assert.deepEqual([...names].sort(), names);

        // Deleting one takes its registered search attributes along and leaves the others.
        await ctx.store.searchAttributes.addSearchAttributes(
          `${prefix}-id-a`,
          [{ name: 'Owner', type: 'Keyword' }],
          T0,
        );
        await ctx.store.searchAttributes.addSearchAttributes(
          `${prefix}-id-c`,
          [{ name: 'Owner', type: 'Keyword' }],
          T0,
        );
        assert.equal(await ctx.store.namespaces.deleteNamespace(`${prefix}-id-a`), true);
        assert.equal(await ctx.store.namespaces.deleteNamespace(`${prefix}-id-a`), false);
        assert.equal(await ctx.store.namespaces.getNamespaceById(`${prefix}-id-a`), null);
        assert.deepEqual(await ctx.store.searchAttributes.listSearchAttributes(`${prefix}-id-a`), []);
        assert.equal((await ctx.store.searchAttributes.listSearchAttributes(`${prefix}-id-c`)).length, 1);
      });
    });

    describe('cluster membership', () => {
      test('members upsert, list by role and heartbeat, and prune by expiry', async () => {
        const m = (hostId: string, role: string, lastHeartbeat: number) => ({
          hostId,
          role,
          rpcAddress: `${hostId}:7234`,
          sessionStart: T0,
          lastHeartbeat,
          recordExpiry: lastHeartbeat + 60_000,
        });
        await ctx.store.membership.upsertMember(m('h1', 'history', T0));
        await ctx.store.membership.upsertMember(m('h2', 'matching', T0 + 10));
        await ctx.store.membership.upsertMember(m('h3', 'history', T0 - 120_000));
        await ctx.store.membership.upsertMember(m('h1', 'history', T0 + 20));
        const history = await ctx.store.membership.listMembers({ role: 'history', activeSince: T0 - 1000 });
        assert.deepEqual(
          history.map((x) => [x.hostId, x.lastHeartbeat]),
          [['h1', T0 + 20]],
        );
        assert.equal((await ctx.store.membership.listMembers({ activeSince: T0 - 1000 })).length, 2);
        assert.equal(await ctx.store.membership.pruneMembers(T0), 1);
        assert.equal((await ctx.store.membership.listMembers({ activeSince: 0 })).length, 2);
      });
    });

    describe('limits', () => {
      test('oversized events, payloads, histories and workflow ids are refused before writing', async () => {
        const limited = await openStore({
          url: ctx.db.url,
          poolSize: 2,
          limits: { maxEventBytes: 100, maxPayloadBytes: 128, maxHistoryEvents: 10, maxHistoryBytes: 200 },
        });
        try {
          const lease = await limited.shards.acquireShard(8001, 'host-l', 30_000, T0);
          const k = key();
          const big = create(k, lease.shardId);
          big.events = [{ eventId: 1, data: new Uint8Array(101) }, ...big.events.slice(1)];
          await assert.rejects(
            limited.executions.createWorkflowExecution(lease, big),
            (e: unknown) =>
              e instanceof LimitExceededError && e.limit === 'maxEventBytes' && e.actual === 101,
          );
          const fatState = create(k, lease.shardId, {
            execution: { ...create(k, lease.shardId).execution, state: new Uint8Array(129) },
          });
          await assert.rejects(
            limited.executions.createWorkflowExecution(lease, fatState),
            (e: unknown) => e instanceof LimitExceededError && e.limit === 'maxPayloadBytes',
          );
          // 1,001 bytes of UTF-8 in 251 characters: the limit counts bytes, as Temporal's does.
          const longId = key(`${'\u{1F680}'.repeat(250)}x`);
          await assert.rejects(
            limited.executions.createWorkflowExecution(lease, create(longId, lease.shardId)),
            (e: unknown) =>
              e instanceof LimitExceededError && e.limit === 'workflowIdLength' && e.actual === 1001,
          );
          assert.equal(await limited.executions.getCurrentExecution(NS, k.workflowId), null);
          await limited.executions.createWorkflowExecution(
            lease,
            create(k, lease.shardId, { eventCount: 8 }),
          );
          await assert.rejects(
            limited.executions.updateWorkflowExecution(lease, update(k, 1, 9, 3)),
            (e: unknown) =>
              e instanceof LimitExceededError && e.limit === 'maxHistoryEvents' && e.actual === 11,
          );
          const heavy = update(k, 1, 9, 1);
          heavy.events = [{ eventId: 9, data: new Uint8Array(100) }];
          await limited.executions.updateWorkflowExecution(lease, heavy);
          const over = update(k, 2, 10, 1);
          over.events = [{ eventId: 10, data: new Uint8Array(90) }];
          await assert.rejects(
            limited.executions.updateWorkflowExecution(lease, over),
            (e: unknown) => e instanceof LimitExceededError && e.limit === 'maxHistoryBytes',
          );
          const row = await limited.executions.getExecution(k);
          assert.equal(row?.nextEventId, 10);
          assert.equal(row?.dbVersion, 2);
        } finally {
          await limited.close();
        }
      });
    });

    defineMultiShardCases(ctx);
    defineConcurrencyCases(ctx);
    defineCrashCases(ctx);
  });
}

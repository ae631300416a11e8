// Migration 0007 (rows kept in their primary key's B-tree, indexes SQLite is better off without) over a database
// that already holds rows, on every dialect: every row of every table it touches reads back identical afterwards,
// the stores read and write those tables as before, and on SQLite the tables are WITHOUT ROWID and the dropped
// indexes are gone (PostgreSQL and MySQL keep their schema).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { parseConnectionUrl } from '../src/connection-url.js';
import type { DialectName, PersistenceStore } from '../src/contract.js';
import { openDatabase } from '../src/database.js';
import { resolveLimits } from '../src/limits.js';
import { LATEST_SCHEMA_VERSION } from '../src/migrations/list.js';
import { migrate } from '../src/migrations/migrate.js';
import { openStore } from '../src/open-store.js';
import type { StoreContext } from '../src/stores/context.js';
import { SqlExecutionStore } from '../src/stores/executions.js';
import { SqlShardStore } from '../src/stores/shards.js';
import type { Tables } from '../src/tables.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { create, key, NS, T0, taskId, text, transferTask, update, visibility } from './support/fixtures.js';

const SHARD = 3;
/** Every table version 7 rebuilds on SQLite, and the order its rows are compared in (the primary key). */
const REBUILT: Record<string, string> = {
  history_events: 'namespace_id, workflow_id, run_id, event_id',
  current_executions: 'namespace_id, workflow_id',
  transfer_tasks: 'shard_id, task_id',
  visibility_tasks: 'shard_id, task_id',
  matching_tasks: 'range_hash, namespace_id, task_queue_name, task_queue_type, task_id',
};
const DROPPED_ON_SQLITE = [
  'history_events_shard_workflow',
  'visibility_by_status',
  'visibility_by_type',
  'workflow_executions_shard',
];
/** A history event larger than a 4 KiB page: SQLite keeps it in overflow pages, in either kind of table. */
const BIG_EVENT = new Uint8Array(10_000).map((_, i) => i % 251);

function timerTask(k: ReturnType<typeof key>, id: number) {
  return { ...transferTask(k, id, 'UserTimer'), category: 'timer' as const, fireTime: T0 + 60_000 };
}

/** Every column of every row, blobs as hex, numbers as numbers: comparable across reads and drivers. */
async function snapshot(db: Kysely<Tables>, table: string, order: string): Promise<unknown[]> {
  const { rows } = await sql
    .raw<Record<string, unknown>>(`SELECT * FROM ${table} ORDER BY ${order}`)
    .execute(db);
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([column, value]) => [
        column,
        value instanceof Uint8Array
          ? Buffer.from(value).toString('hex')
          : typeof value === 'bigint' ||
              (typeof value === 'string' && /^\d+$/.test(value) && column !== 'workflow_id')
            ? Number(value)
            : value,
      ]),
    ),
  );
}

for (const dialect of ['sqlite', 'postgres', 'mysql'] as DialectName[]) {
  describe(`migration 0007 (rows in primary keys) on ${dialect}`, () => {
    let db: TestDatabase;
    let store: PersistenceStore;
    const open = key('wf-open', 'run-open');
    const closed = key('wf-\u6CE8-closed', 'run-closed');
    const before6: Record<string, unknown[]> = {};

    before(async () => {
      db = await createTestDatabase(dialect);
      const opened = await openDatabase(parseConnectionUrl(db.url), { poolSize: 2 });
      try {
        assert.equal((await migrate(opened.db, opened.dialect, 6)).to, 6);
        const ctx: StoreContext = { db: opened.db, dialect: opened.dialect, limits: resolveLimits() };
        const lease = await new SqlShardStore(ctx).acquireShard(SHARD, 'host-a', 60_000, T0);
        const executions = new SqlExecutionStore(ctx);
        await executions.createWorkflowExecution(
          lease,
          create(open, SHARD, {
            tasks: [transferTask(open, taskId(lease.rangeId, 1)), timerTask(open, taskId(lease.rangeId, 2))],
            visibility: visibility(open),
          }),
        );
        await executions.createWorkflowExecution(
          lease,
          create(closed, SHARD, { visibility: visibility(closed, { workflowType: 'Other' }) }),
        );
        await executions.updateWorkflowExecution(
          lease,
          update(closed, 1, 3, 1, {
            status: 2,
            closeTime: T0 + 5,
            updateCurrent: { status: 2, closeTime: T0 + 5 },
            events: [{ eventId: 3, data: BIG_EVENT }],
            visibility: visibility(closed, {
              workflowType: 'Other',
              status: 2,
              closeTime: T0 + 5,
              stateVersion: 2,
            }),
          }),
        );
        const visibilityTask = { ...transferTask(open, taskId(lease.rangeId, 3), 'UpsertVisibility') };
        await sql`INSERT INTO visibility_tasks (shard_id, task_id, fire_time, namespace_id, workflow_id, run_id, task_type, data)
          VALUES (${SHARD}, ${visibilityTask.taskId}, ${T0}, ${NS}, ${open.workflowId}, ${open.runId}, 'UpsertVisibility', ${Buffer.from([0, 1, 2])})`.execute(
          opened.db,
        );
        await sql`INSERT INTO matching_tasks (range_hash, namespace_id, task_queue_name, task_queue_type, task_id, data, expires_at, created_at)
          VALUES (17, ${NS}, 'orders', 1, 5, ${Buffer.from('task')}, NULL, ${T0}), (17, ${NS}, 'orders', 2, 6, ${Buffer.from([255])}, ${T0 + 9}, ${T0})`.execute(
          opened.db,
        );
        for (const [table, order] of Object.entries(REBUILT))
          before6[table] = await snapshot(opened.db, table, order);
        before6['workflow_executions'] = await snapshot(opened.db, 'workflow_executions', 'run_id');
        before6['visibility_records'] = await snapshot(opened.db, 'visibility_records', 'run_id');
        assert.equal(before6['history_events']?.length, 5);
        assert.equal(before6['matching_tasks']?.length, 2);
        assert.equal((await migrate(opened.db, opened.dialect)).to, LATEST_SCHEMA_VERSION);
        for (const [table, order] of Object.entries(REBUILT))
          assert.deepEqual(await snapshot(opened.db, table, order), before6[table], table);
        assert.deepEqual(
          await snapshot(opened.db, 'workflow_executions', 'run_id'),
          before6['workflow_executions'],
        );
        assert.deepEqual(
          await snapshot(opened.db, 'visibility_records', 'run_id'),
          before6['visibility_records'],
        );
      } finally {
        await opened.db.destroy();
      }
      store = await openStore({ url: db.url, poolSize: 4 });
    });

    after(async () => {
      await store?.close();
      await db?.drop();
    });

    test('rows written at version 6 are read by the stores after it', async () => {
      assert.equal((await store.executions.getCurrentExecution(NS, open.workflowId))?.runId, open.runId);
      assert.equal((await store.executions.getCurrentExecution(NS, closed.workflowId))?.status, 2);
      const history = await store.history.readHistory(closed, { pageSize: 10 });
      assert.deepEqual(
        history.events.map((e) => e.eventId),
        [1, 2, 3],
      );
      assert.equal(text(history.events[0]!.data), 'e:1');
      assert.deepEqual(history.events[2]?.data, BIG_EVENT);
      const transfer = await store.outbox.readImmediateTasks(SHARD, 'transfer', {
        afterTaskId: 0,
        limit: 10,
      });
      assert.deepEqual(
        transfer.map((t) => t.runId),
        [open.runId],
      );
      const visibilityTasks = await store.outbox.readImmediateTasks(SHARD, 'visibility', {
        afterTaskId: 0,
        limit: 10,
      });
      assert.deepEqual(
        visibilityTasks.map((t) => [...t.data]),
        [[0, 1, 2]],
      );
      const timers = await store.outbox.readTimerTasks(SHARD, { maxFireTime: T0 + 60_000, limit: 10 });
      assert.deepEqual(
        timers.map((t) => t.runId),
        [open.runId],
      );
      const byType = await store.visibility.countVisibility(NS, { workflowType: 'Other', status: 2 });
      assert.equal(byType, 1);
    });

    test('new runs, events and tasks are written, keyed and deleted as before', async () => {
      const lease = await store.shards.acquireShard(SHARD, 'host-b', 60_000, T0 + 1);
      const next = key('wf-next', 'run-next');
      await store.executions.createWorkflowExecution(
        lease,
        create(next, SHARD, {
          tasks: [transferTask(next, taskId(lease.rangeId, 1))],
          visibility: visibility(next),
        }),
      );
      await assert.rejects(
        store.executions.createWorkflowExecution(lease, create(next, SHARD)),
        'the same workflow id cannot start twice while it runs',
      );
      await store.executions.updateWorkflowExecution(lease, update(next, 1, 3, 2));
      assert.equal((await store.history.readHistory(next, { pageSize: 10, minEventId: 2 })).events.length, 3);
      const tasks = await store.outbox.readImmediateTasks(SHARD, 'transfer', { afterTaskId: 0, limit: 10 });
      assert.equal(tasks.length, 2);
      assert.equal(
        await store.outbox.deleteImmediateTasksUpTo(
          SHARD,
          'transfer',
          Math.max(...tasks.map((t) => t.taskId)),
        ),
        2,
      );
      await store.executions.deleteWorkflowExecution(lease, next);
      assert.deepEqual((await store.history.readHistory(closed, { pageSize: 10 })).events.length, 3);
      assert.equal(await store.executions.getCurrentExecution(NS, next.workflowId), null);
    });

    if (dialect === 'sqlite') {
      test('on SQLite the tables are WITHOUT ROWID and the indexes no query needs are gone', async () => {
        const opened = await openDatabase(parseConnectionUrl(db.url), { poolSize: 1 });
        try {
          const { rows } = await sql<{ type: string; name: string; sql: string | null }>`
            SELECT type, name, sql FROM sqlite_master`.execute(opened.db);
          for (const table of Object.keys(REBUILT)) {
            const row = rows.find((r) => r.type === 'table' && r.name === table);
            assert.match(row?.sql ?? '', /WITHOUT ROWID\s*$/, table);
          }
          const indexes = rows.filter((r) => r.type === 'index').map((r) => r.name);
          for (const index of DROPPED_ON_SQLITE) assert.ok(!indexes.includes(index), index);
          assert.ok(indexes.includes('visibility_by_start'));
          assert.ok(indexes.includes('sqlite_autoindex_timer_tasks_1'), 'timer_tasks stays a rowid table');
        } finally {
          await opened.db.destroy();
        }
      });
    }
  });
}

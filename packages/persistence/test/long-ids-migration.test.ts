// Migration 0006 (ids of up to 1,000 bytes of UTF-8) over a database that already holds rows, on every dialect:
// rows written at version 5 read back unchanged after it, and ids Temporal allows but version 5 could not hold
// are written and found afterwards, by key, by visibility `=` and STARTS_WITH, compared exactly.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { parseConnectionUrl } from '../src/connection-url.js';
import type { DialectName, PersistenceStore } from '../src/contract.js';
import { openDatabase } from '../src/database.js';
import { resolveLimits } from '../src/limits.js';
import { LATEST_SCHEMA_VERSION } from '../src/migrations/list.js';
import { migrate } from '../src/migrations/migrate.js';
import { migrateDatabase, openStore } from '../src/open-store.js';
import { SqlBatchOperationStore } from '../src/stores/batch-operations.js';
import { SqlExecutionStore } from '../src/stores/executions.js';
import { SqlScheduleStore } from '../src/stores/schedules.js';
import { SqlShardStore } from '../src/stores/shards.js';
import type { StoreContext } from '../src/stores/context.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { bytes, create, key, NS, T0, taskId, text, transferTask, visibility } from './support/fixtures.js';

/** The longest id version 5 accepted in bytes: 255 UTF-16 units of a three-byte character (765 bytes). */
const OLD_LONGEST = '\u6CE8'.repeat(255);
/** Exactly 1,000 bytes of UTF-8 in 250 characters. */
const EMOJI_1000 = '\u{1F680}'.repeat(250);
const ASCII_1000 = `wf-${'a'.repeat(997)}`;
const SHARD = 7;
const WORKFLOW_ID_TABLES = [
  'workflow_executions',
  'current_executions',
  'history_events',
  'transfer_tasks',
  'timer_tasks',
  'visibility_records',
] as const;

function timerTask(k: ReturnType<typeof key>, id: number) {
  return { ...transferTask(k, id, 'UserTimer'), category: 'timer' as const, fireTime: T0 + 60_000 };
}

for (const dialect of ['sqlite', 'postgres', 'mysql'] as DialectName[]) {
  describe(`migration 0006 (1,000-byte ids) on ${dialect}`, () => {
    let db: TestDatabase;
    let store: PersistenceStore;
    const old = key(OLD_LONGEST, 'run-old');
    const child = key('child-Order', 'run-child');
    const lowerCase = key('child-order', 'run-lower');

    before(async () => {
      db = await createTestDatabase(dialect);
      const opened = await openDatabase(parseConnectionUrl(db.url), { poolSize: 2 });
      try {
        assert.equal((await migrate(opened.db, opened.dialect, 5)).to, 5);
        const ctx: StoreContext = { db: opened.db, dialect: opened.dialect, limits: resolveLimits() };
        const lease = await new SqlShardStore(ctx).acquireShard(SHARD, 'host-a', 60_000, T0);
        const executions = new SqlExecutionStore(ctx);
        await executions.createWorkflowExecution(
          lease,
          create(old, SHARD, {
            tasks: [transferTask(old, taskId(lease.rangeId, 1)), timerTask(old, taskId(lease.rangeId, 2))],
            visibility: visibility(old, { rootWorkflowId: old.workflowId, rootRunId: old.runId }),
          }),
        );
        for (const k of [child, lowerCase]) {
          await executions.createWorkflowExecution(
            lease,
            create(k, SHARD, {
              visibility: visibility(k, {
                parentWorkflowId: old.workflowId,
                parentRunId: old.runId,
                rootWorkflowId: old.workflowId,
                rootRunId: old.runId,
              }),
            }),
          );
        }
        await new SqlScheduleStore(ctx).createSchedule({
          namespaceId: NS,
          scheduleId: `sched-${OLD_LONGEST}`.slice(0, 255),
          schedule: bytes('def'),
          memo: null,
          searchAttributes: null,
          state: bytes('{}'),
          nextWakeTime: null,
          createdAt: T0,
          updatedAt: T0,
        });
        await new SqlBatchOperationStore(ctx).createBatchOperation(batchJob('job-Old'));
      } finally {
        await opened.db.destroy();
      }
      const outcome = await migrateDatabase(db.url);
      assert.deepEqual(
        outcome.applied,
        Array.from({ length: LATEST_SCHEMA_VERSION - 5 }, (_, i) => 6 + i),
      );
      assert.equal(outcome.to, LATEST_SCHEMA_VERSION);
      store = await openStore({ url: db.url, poolSize: 4 });
    });

    after(async () => {
      await store?.close();
      await db?.drop();
    });

    test('rows written at version 5 read back unchanged, by key and by visibility', async () => {
      const run = await store.executions.getExecution(old);
      assert.equal(run?.key.workflowId, OLD_LONGEST);
      assert.equal((await store.executions.getCurrentExecution(NS, OLD_LONGEST))?.runId, old.runId);
      const history = await store.history.readHistory(old, { pageSize: 10 });
      assert.deepEqual(
        history.events.map((e) => text(e.data)),
        ['e:1', 'e:2'],
      );
      const tasks = await store.outbox.readImmediateTasks(SHARD, 'transfer', { afterTaskId: 0, limit: 10 });
      assert.deepEqual(
        tasks.map((t) => t.workflowId),
        [OLD_LONGEST],
      );
      const record = await store.visibility.getVisibility(NS, old.runId);
      assert.equal(record?.workflowId, OLD_LONGEST);
      assert.equal(record?.rootWorkflowId, OLD_LONGEST);
      const children = await store.visibility.listVisibility(
        NS,
        { condition: { op: '=', attribute: { system: 'ParentWorkflowId' }, value: OLD_LONGEST } },
        { pageSize: 10 },
      );
      assert.deepEqual(children.items.map((r) => r.runId).sort(), [child.runId, lowerCase.runId].sort());
      assert.equal(children.items[0]?.parentWorkflowId, OLD_LONGEST);
      assert.equal(
        (await store.schedules.getSchedule(NS, `sched-${OLD_LONGEST}`.slice(0, 255)))?.createdAt,
        T0,
      );
      assert.equal((await store.batchOperations.getBatchOperation(NS, 'job-Old'))?.identity, 'me');
    });

    test('ids are still compared case-sensitively', async () => {
      assert.equal((await store.executions.getCurrentExecution(NS, 'child-Order'))?.runId, child.runId);
      assert.equal((await store.executions.getCurrentExecution(NS, 'child-order'))?.runId, lowerCase.runId);
      assert.equal(await store.executions.getCurrentExecution(NS, 'CHILD-ORDER'), null);
      const prefixed = await store.visibility.listVisibility(
        NS,
        { condition: { op: 'starts_with', attribute: { system: 'WorkflowId' }, prefix: 'child-O' } },
        { pageSize: 10 },
      );
      assert.deepEqual(
        prefixed.items.map((r) => r.workflowId),
        ['child-Order'],
      );
    });

    test('1,000-byte ids (multi-byte and ASCII) are written and found by key, =, IN and STARTS_WITH', async () => {
      const lease = await store.shards.acquireShard(SHARD, 'host-b', 60_000, T0 + 1);
      for (const [n, id] of [EMOJI_1000, ASCII_1000].entries()) {
        const k = key(id, `run-long-${n}`);
        await store.executions.createWorkflowExecution(
          lease,
          create(k, SHARD, {
            tasks: [
              transferTask(k, taskId(lease.rangeId, 10 + n)),
              timerTask(k, taskId(lease.rangeId, 20 + n)),
            ],
            visibility: visibility(k, { parentWorkflowId: id, rootWorkflowId: id }),
          }),
        );
        assert.equal((await store.executions.getExecution(k))?.key.workflowId, id);
        assert.equal((await store.executions.getCurrentExecution(NS, id))?.runId, k.runId);
        assert.equal((await store.history.readHistory(k, { pageSize: 10 })).events.length, 2);
        const equal = await store.visibility.listVisibility(
          NS,
          { condition: { op: '=', attribute: { system: 'WorkflowId' }, value: id } },
          { pageSize: 10 },
        );
        assert.deepEqual(
          equal.items.map((r) => [r.workflowId, r.parentWorkflowId, r.rootWorkflowId]),
          [[id, id, id]],
        );
        const inList = await store.visibility.countVisibility(NS, {
          condition: { op: 'in', attribute: { system: 'WorkflowId' }, values: [id, 'other'] },
        });
        assert.equal(inList, 1);
        const prefix = await store.visibility.listVisibility(
          NS,
          { condition: { op: 'starts_with', attribute: { system: 'WorkflowId' }, prefix: id.slice(0, 100) } },
          { pageSize: 10 },
        );
        assert.deepEqual(
          prefix.items.map((r) => r.runId),
          [k.runId],
        );
      }
      const longSchedule = await store.schedules.createSchedule({
        namespaceId: NS,
        scheduleId: EMOJI_1000,
        schedule: bytes('def'),
        memo: null,
        searchAttributes: null,
        state: bytes('{}'),
        nextWakeTime: null,
        createdAt: T0,
        updatedAt: T0,
      });
      assert.equal((await store.schedules.getSchedule(NS, EMOJI_1000))?.version, longSchedule.version);
      await store.batchOperations.createBatchOperation(batchJob(ASCII_1000));
      assert.equal((await store.batchOperations.getBatchOperation(NS, ASCII_1000))?.jobId, ASCII_1000);
    });

    test('a trailing space makes another id', async () => {
      const lease = await store.shards.acquireShard(SHARD, 'host-c', 60_000, T0 + 2);
      const plain = key('spaced', 'run-plain');
      const spaced = key('spaced ', 'run-spaced');
      await store.executions.createWorkflowExecution(lease, create(plain, SHARD));
      await store.executions.createWorkflowExecution(lease, create(spaced, SHARD));
      assert.equal((await store.executions.getCurrentExecution(NS, 'spaced'))?.runId, plain.runId);
      assert.equal((await store.executions.getCurrentExecution(NS, 'spaced '))?.runId, spaced.runId);
    });

    test('every workflow id column reads back as text of the full id', async () => {
      const opened = await openDatabase(parseConnectionUrl(db.url), { poolSize: 1 });
      try {
        for (const table of WORKFLOW_ID_TABLES) {
          const rows = await sql<{ workflow_id: unknown }>`SELECT workflow_id FROM ${sql.table(table)}
            WHERE workflow_id = ${EMOJI_1000}`.execute(opened.db);
          assert.ok(rows.rows.length > 0, `${table} holds the 1,000-byte id`);
          for (const row of rows.rows) assert.equal(row.workflow_id, EMOJI_1000, table);
        }
      } finally {
        await opened.db.destroy();
      }
    });
  });
}

function batchJob(jobId: string) {
  return {
    namespaceId: NS,
    jobId,
    operationType: 1,
    request: bytes('req'),
    state: 1,
    identity: 'me',
    reason: 'why',
    startTime: T0,
    closeTime: null,
    totalCount: 0,
    completeCount: 0,
    failureCount: 0,
    progress: null,
  };
}

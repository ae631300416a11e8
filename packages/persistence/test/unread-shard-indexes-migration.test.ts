// Migration 0008 (indexes by shard that no statement reads) on every dialect: after it neither index exists, its
// statements run again without error (MySQL's DDL is not transactional, so an interrupted migration is run again),
// and rows written before it read back through the stores.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { parseConnectionUrl } from '../src/connection-url.js';
import type { DialectName } from '../src/contract.js';
import { openDatabase } from '../src/database.js';
import type { SqlDialect } from '../src/dialects/sql-dialect.js';
import { resolveLimits } from '../src/limits.js';
import { LATEST_SCHEMA_VERSION } from '../src/migrations/list.js';
import { migrate } from '../src/migrations/migrate.js';
import { unreadShardIndexesSchema } from '../src/migrations/unread-shard-indexes.js';
import { openStore } from '../src/open-store.js';
import type { StoreContext } from '../src/stores/context.js';
import { SqlExecutionStore } from '../src/stores/executions.js';
import { SqlShardStore } from '../src/stores/shards.js';
import type { Tables } from '../src/tables.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { create, key, T0, update } from './support/fixtures.js';

const SHARD = 5;
const DROPPED = ['history_events_shard_workflow', 'workflow_executions_shard'];

/** The names of the indexes on history_events and workflow_executions. */
async function indexNames(db: Kysely<Tables>, dialect: DialectName): Promise<string[]> {
  const query =
    dialect === 'sqlite'
      ? sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'index'
          AND tbl_name IN ('history_events', 'workflow_executions')`
      : dialect === 'postgres'
        ? sql<{ name: string }>`SELECT indexname AS name FROM pg_indexes
          WHERE tablename IN ('history_events', 'workflow_executions')`
        : sql<{ name: string }>`SELECT DISTINCT index_name AS name FROM information_schema.statistics
          WHERE table_schema = DATABASE() AND table_name IN ('history_events', 'workflow_executions')`;
  const { rows } = await query.execute(db);
  return rows.map((r) => r.name);
}

for (const dialect of ['sqlite', 'postgres', 'mysql'] as DialectName[]) {
  describe(`migration 0008 (unread shard indexes) on ${dialect}`, () => {
    let db: TestDatabase;
    let atVersion7: string[] = [];
    let atLatest: string[] = [];
    const run = key('wf-before-8', 'run-before-8');

    before(async () => {
      db = await createTestDatabase(dialect);
      const opened = await openDatabase(parseConnectionUrl(db.url), { poolSize: 2 });
      try {
        assert.equal((await migrate(opened.db, opened.dialect, 7)).to, 7);
        atVersion7 = await indexNames(opened.db, dialect);
        const ctx: StoreContext = { db: opened.db, dialect: opened.dialect, limits: resolveLimits() };
        const lease = await new SqlShardStore(ctx).acquireShard(SHARD, 'host-a', 60_000, T0);
        const executions = new SqlExecutionStore(ctx);
        await executions.createWorkflowExecution(lease, create(run, SHARD));
        await executions.updateWorkflowExecution(lease, update(run, 1, 3, 1));
        assert.equal((await migrate(opened.db, opened.dialect)).to, LATEST_SCHEMA_VERSION);
        atLatest = await indexNames(opened.db, dialect);
        await runAgain(opened.db, opened.dialect);
      } finally {
        await opened.db.destroy();
      }
    });

    after(async () => {
      await db?.drop();
    });

    test('the indexes are there before it on the server databases, and gone after it everywhere', () => {
      for (const index of DROPPED) {
        assert.equal(atVersion7.includes(index), dialect !== 'sqlite', `${index} at version 7`);
        assert.ok(!atLatest.includes(index), `${index} after version 8`);
      }
      const kept = atVersion7.filter((name) => !DROPPED.includes(name));
      assert.deepEqual([...atLatest].sort(), kept.sort(), 'every other index stays');
    });

    test('a run written before it is read and updated through the stores after it', async () => {
      const store = await openStore({ url: db.url, poolSize: 2 });
      try {
        const history = await store.history.readHistory(run, { pageSize: 10 });
        assert.deepEqual(
          history.events.map((e) => e.eventId),
          [1, 2, 3],
        );
        const lease = await store.shards.acquireShard(SHARD, 'host-b', 60_000, T0 + 1);
        await store.executions.updateWorkflowExecution(lease, update(run, 2, 4, 2));
        assert.equal((await store.history.readHistory(run, { pageSize: 10 })).events.length, 5);
      } finally {
        await store.close();
      }
    });
  });
}

/** The migration's statements once more, as a re-run after an interruption would: nothing to drop, no error. */
async function runAgain(db: Kysely<Tables>, dialect: SqlDialect): Promise<void> {
  await db.connection().execute(async (connection) => {
    for (const statement of unreadShardIndexesSchema(dialect)) await sql.raw(statement).execute(connection);
  });
}

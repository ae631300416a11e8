// The visibility store's lists and counts on SQLite search an index, never scan visibility_records, with the indexes
// migration 0007 leaves there (it drops `visibility_by_status` and `visibility_by_type`, whose queries the list-order
// indexes serve). Each case runs through the store itself, its SQL captured from Kysely's log and asked for its plan
// with EXPLAIN QUERY PLAN on the same file.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { type CompiledQuery, Kysely, sql } from 'kysely';
import { parseConnectionUrl } from '../src/connection-url.js';
import type { VisibilityCondition, VisibilityFilter } from '../src/contract.js';
import { openDatabase } from '../src/database.js';
import { sqlite } from '../src/dialects/sqlite/index.js';
import { OdinSqliteDialect } from '../src/dialects/sqlite/driver.js';
import { resolveLimits } from '../src/limits.js';
import { migrate } from '../src/migrations/migrate.js';
import { SqlRetentionStore } from '../src/stores/retention.js';
import { SqlVisibilityStore } from '../src/stores/visibility.js';
import type { Tables } from '../src/tables.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { key, NS, T0, visibility } from './support/fixtures.js';

const ns = (ms: number) => BigInt(ms) * 1_000_000n;
const sys = (system: 'StartTime' | 'CloseTime' | 'ExecutionStatus' | 'WorkflowType' | 'WorkflowId') => ({
  system,
});
const startedAfter: VisibilityCondition = { op: '>=', attribute: sys('StartTime'), value: ns(T0 + 50) };

/** Filters as the frontend builds them: the older List/Count fields and parsed queries. */
const FILTERS: Record<string, VisibilityFilter> = {
  'the namespace': {},
  status: { status: 2 },
  type: { workflowType: 'Type-3' },
  'workflow id': { workflowId: 'wf-7' },
  'start time range': { startTimeFrom: T0 + 10, startTimeTo: T0 + 90 },
  'status and start time': { status: 1, startTimeFrom: T0 + 10 },
  'type and start time': { workflowType: 'Type-1', startTimeFrom: T0 + 10 },
  'close time range': { closeTimeFrom: T0 + 10, closeTimeTo: T0 + 90 },
  'query: ExecutionStatus =': {
    condition: { op: '=', attribute: sys('ExecutionStatus'), value: 1 },
  },
  'query: WorkflowType = and StartTime >=': {
    condition: {
      op: 'and',
      operands: [{ op: '=', attribute: sys('WorkflowType'), value: 'Type-2' }, startedAfter],
    },
  },
  'query: ExecutionStatus = and StartTime >=': {
    condition: {
      op: 'and',
      operands: [{ op: '=', attribute: sys('ExecutionStatus'), value: 2 }, startedAfter],
    },
  },
  'query: StartTime >=': { condition: startedAfter },
  'query: CloseTime <': { condition: { op: '<', attribute: sys('CloseTime'), value: ns(T0 + 500) } },
  'query: CloseTime IS NULL': { condition: { op: 'is null', attribute: sys('CloseTime') } },
};

describe('visibility query plans on SQLite', () => {
  let db: TestDatabase;
  let file: Database.Database;
  let kysely: Kysely<Tables>;
  let captured: CompiledQuery[] = [];
  let store: SqlVisibilityStore;
  let retention: SqlRetentionStore;

  before(async () => {
    db = await createTestDatabase('sqlite');
    const opened = await openDatabase(parseConnectionUrl(db.url), { poolSize: 1 });
    await migrate(opened.db, opened.dialect);
    await opened.db.destroy();
    file = new Database(db.name);
    kysely = new Kysely<Tables>({
      dialect: new OdinSqliteDialect(file),
      log: (event) => {
        if (event.level === 'query') captured.push(event.query);
      },
    });
    const ctx = { db: kysely, dialect: sqlite, limits: resolveLimits() };
    store = new SqlVisibilityStore(ctx);
    retention = new SqlRetentionStore(ctx);
    await store.upsertVisibility(
      Array.from({ length: 200 }, (_, i) => {
        const closed = i % 3 === 0;
        return visibility(key(`wf-${i}`, `run-${i}`), {
          workflowType: `Type-${i % 5}`,
          status: closed ? 2 : 1,
          startTime: T0 + (i % 100),
          closeTime: closed ? T0 + 100 + i : null,
        });
      }),
    );
  });

  after(async () => {
    await kysely?.destroy();
    await db?.drop();
  });

  /** The plan of every statement `run` issues that reads visibility_records. */
  async function plansOf(run: () => Promise<unknown>): Promise<string[][]> {
    captured = [];
    await run();
    return captured
      .filter((q) => /\bfrom "visibility_records"/i.test(q.sql))
      .map((q) =>
        (
          file.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...(q.parameters as unknown[])) as {
            detail: string;
          }[]
        ).map((row) => row.detail),
      );
  }

  function assertSearchesAnIndex(plans: string[][], what: string): void {
    assert.ok(plans.length > 0, `${what}: no statement read visibility_records`);
    for (const plan of plans) {
      const reads = plan.filter((step) => /^(SCAN|SEARCH) (v|visibility_records)\b/.test(step));
      assert.ok(reads.length > 0, `${what}: ${plan.join(' | ')}`);
      for (const step of reads) assert.match(step, /^SEARCH .* USING (COVERING )?INDEX /, `${what}: ${step}`);
    }
  }

  test('the indexes migration 0007 drops are gone, the list-order ones are there', async () => {
    const { rows } = await sql<{ name: string }>`
      SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'visibility_records'`.execute(
      kysely,
    );
    const names = rows.map((r) => r.name);
    for (const dropped of ['visibility_by_status', 'visibility_by_type']) assert.ok(!names.includes(dropped));
    for (const kept of [
      'visibility_order',
      'visibility_status_order',
      'visibility_type_order',
      'visibility_by_start',
    ])
      assert.ok(names.includes(kept), kept);
  });

  for (const [name, filter] of Object.entries(FILTERS)) {
    test(`list, count and count by status of ${name} search an index`, async () => {
      assertSearchesAnIndex(await plansOf(() => store.listVisibility(NS, filter, { pageSize: 10 })), 'list');
      const page = await store.listVisibility(NS, filter, { pageSize: 2 });
      if (page.nextPageToken !== undefined) {
        const token = page.nextPageToken;
        assertSearchesAnIndex(
          await plansOf(() => store.listVisibility(NS, filter, { pageSize: 2, pageToken: token })),
          'next page',
        );
      }
      assertSearchesAnIndex(await plansOf(() => store.countVisibility(NS, filter)), 'count');
      assertSearchesAnIndex(
        await plansOf(() => store.countVisibilityByStatus(NS, filter)),
        'count by status',
      );
    });
  }

  test('the list order and a status filter need no sort', async () => {
    for (const filter of [{}, { status: 2 }, { workflowType: 'Type-1' }]) {
      const [plan] = await plansOf(() => store.listVisibility(NS, filter, { pageSize: 10 }));
      assert.ok(!plan?.some((step) => step.includes('TEMP B-TREE')), plan?.join(' | '));
    }
  });

  test('retention finds expired visibility rows by an index', async () => {
    assertSearchesAnIndex(
      await plansOf(() =>
        retention.deleteClosedExecutions({ namespaceId: NS, closedBefore: T0, batchSize: 10 }),
      ),
      'retention',
    );
  });
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CompiledQuery, type QueryResult } from 'kysely';
import pg from 'pg';
import {
  CurrentExecutionConflictError,
  DatabaseUnavailableError,
  ExecutionVersionConflictError,
  ShardOwnershipLostError,
  type ShardFence,
  WorkflowStatus,
} from '../src/contract.js';
import type { TransactionPipeline } from '../src/dialects/sql-dialect.js';
import { transactionPipeline } from '../src/dialects/postgres/pipeline.js';
import { openStoreContext } from '../src/open-store.js';
import type { StoreContext } from '../src/stores/context.js';
import { SqlExecutionStore } from '../src/stores/executions.js';
import { SqlShardStore } from '../src/stores/shards.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { create, key, T0, text, update, visibility } from './support/fixtures.js';

let database: TestDatabase;
let pool: pg.Pool;
/** Each client.query call the pipeline made: one per round trip. */
const sends: number[] = [];
let pipeline: TransactionPipeline;

const options = (url: string) => ({
  prepared: true,
  maxPreparedLength: 4000,
  types: pg.types,
  isConnectionFailure: (error: unknown) =>
    error instanceof Error &&
    /ECONNREFUSED|terminat/i.test(`${error.message} ${(error as { code?: string }).code}`),
  url,
});

/** A pool whose clients count their query calls. */
function countingPool(url: string): pg.Pool {
  const p = new pg.Pool({ connectionString: url, max: 1 });
  const connect = p.connect.bind(p);
  p.connect = ((callback?: unknown) => {
    // pool.query checks out its client with a callback: left as it is.
    if (typeof callback === 'function') return connect(callback as never);
    return counted();
  }) as typeof p.connect;
  // A client the pool hands out again is wrapped once.
  const wrapped = new WeakSet<pg.PoolClient>();
  const counted = async () => {
    const client = await connect();
    if (wrapped.has(client)) return client;
    wrapped.add(client);
    const query = client.query.bind(client);
    (client as { query: unknown }).query = (...args: unknown[]) => {
      sends.push(1);
      return (query as (...a: unknown[]) => unknown)(...args);
    };
    return client;
  };
  return p;
}

const raw = (text: string, parameters: unknown[] = []) => CompiledQuery.raw(text, parameters);
/** A statement of a pipelined transaction, with the rows it must change (or return) when `expectRows` is given. */
const stmt = (text: string, parameters: unknown[] = [], expectRows?: number) => ({
  query: raw(text, parameters),
  ...(expectRows === undefined ? {} : { expectRows }),
});
const count = async (table = 't') =>
  Number((await pool.query(`select count(*)::int as n from ${table}`)).rows[0].n);

before(async () => {
  database = await createTestDatabase('postgres');
  pool = countingPool(database.url);
  await pool.query('create table t (id integer primary key, name text not null)');
  pipeline = transactionPipeline(pool, options(database.url));
});

after(async () => {
  await pool.end();
  await database.drop();
});

test('a transaction that reads before it decides costs two round trips, and decide sees the first step’s results', async () => {
  await pool.query('truncate t');
  sends.length = 0;
  let seen: readonly QueryResult<unknown>[] = [];
  const value = await pipeline.run(
    [
      stmt('insert into t (id, name) values ($1, $2), ($3, $4)', [1, 'a', 2, 'b']),
      stmt('update t set name = $1 where id = $2', ['c', 2]),
      stmt('select id, name from t order by id'),
    ],
    (results) => {
      seen = results;
      return { statements: [raw('insert into t (id, name) values ($1, $2)', [3, 'd'])], value: 'done' };
    },
  );
  assert.equal(value, 'done');
  assert.equal(sends.length, 2);
  assert.deepEqual(
    seen.map((r) => r.numAffectedRows),
    [2n, 1n, undefined],
  );
  assert.deepEqual(seen[2]!.rows, [
    { id: 1, name: 'a' },
    { id: 2, name: 'c' },
  ]);
  assert.equal(await count(), 3);
});

test('decide returning null rolls everything back; the connection is reused', async () => {
  await pool.query('truncate t');
  const value = await pipeline.run([stmt('insert into t (id, name) values ($1, $2)', [1, 'a'])], () => null);
  assert.equal(value, null);
  assert.equal(await count(), 0);
  assert.equal(pool.totalCount, 1);
});

test('a failing statement in either step rolls back the whole transaction and resolves to null', async () => {
  await pool.query('truncate t');
  await pool.query(`insert into t (id, name) values (1, 'kept')`);
  const first = await pipeline.run(
    [
      stmt('insert into t (id, name) values ($1, $2)', [2, 'b']),
      stmt('insert into t (id, name) values ($1, $2)', [1, 'duplicate']),
      stmt('insert into t (id, name) values ($1, $2)', [3, 'skipped']),
    ],
    () => assert.fail('decide must not run after a failed statement'),
  );
  assert.equal(first, null);
  const second = await pipeline.run([stmt('insert into t (id, name) values ($1, $2)', [4, 'b'])], () => ({
    statements: [raw('insert into t (id, name) values ($1, $2)', [1, 'duplicate'])],
    value: 'committed',
  }));
  assert.equal(second, null);
  assert.deepEqual((await pool.query('select id from t')).rows, [{ id: 1 }]);
  // The statements named on the closed connection are prepared again on the next one.
  const again = await pipeline.run([stmt('insert into t (id, name) values ($1, $2)', [2, 'b'])], () => ({
    statements: [],
    value: 'ok',
  }));
  assert.equal(again, 'ok');
  assert.equal(await count(), 2);
});

test('commitInOneWrite sends the whole transaction in one write, and the database checks its row counts', async () => {
  await pool.query('truncate t');
  sends.length = 0;
  const committed = await pipeline.commitInOneWrite([
    stmt('insert into t (id, name) values ($1, $2), ($3, $4)', [1, 'a', 2, 'b'], 2),
    stmt('update t set name = $1 where id = $2', ['c', 2], 1),
    stmt('select id from t where id in ($1, $2) order by id for share', [1, 2], 2),
    stmt('delete from t where id = $1', [99]),
  ]);
  assert.equal(committed, true);
  assert.equal(sends.length, 1);
  assert.deepEqual((await pool.query('select id, name from t order by id')).rows, [
    { id: 1, name: 'a' },
    { id: 2, name: 'c' },
  ]);
});

test('a row count that does not hold rolls the whole transaction back, whichever kind of statement it counts', async () => {
  await pool.query('truncate t');
  await pool.query(`insert into t (id, name) values (1, 'kept')`);
  const attempts: [string, ReturnType<typeof stmt>][] = [
    ['an update matching fewer rows', stmt('update t set name = $1 where id = $2', ['x', 99], 1)],
    [
      'an insert that conflicted',
      stmt('insert into t (id, name) values ($1, $2) on conflict (id) do nothing', [1, 'again'], 1),
    ],
    ['a select returning fewer rows', stmt('select id from t where id = $1 for share', [42], 1)],
    ['a delete matching more rows', stmt('delete from t where id >= $1', [0], 0)],
  ];
  for (const [what, failing] of attempts) {
    const committed = await pipeline.commitInOneWrite([
      stmt('insert into t (id, name) values ($1, $2)', [2, 'rolled back'], 1),
      failing,
      stmt('insert into t (id, name) values ($1, $2)', [3, 'skipped']),
    ]);
    assert.equal(committed, false, what);
    assert.deepEqual((await pool.query('select id, name from t')).rows, [{ id: 1, name: 'kept' }], what);
  }
  // The same statements with counts that hold commit, on a connection opened after the failed ones were closed.
  const committed = await pipeline.commitInOneWrite([
    stmt('insert into t (id, name) values ($1, $2) on conflict (id) do nothing', [2, 'new'], 1),
    stmt('select id from t where id = $1 for share', [1], 1),
  ]);
  assert.equal(committed, true);
  assert.equal(await count(), 2);
  // A counted statement of the first step fails it as well: decide never runs.
  const value = await pipeline.run([stmt('update t set name = $1 where id = $2', ['x', 99], 1)], () =>
    assert.fail('decide must not run after a count failed'),
  );
  assert.equal(value, null);
});

test('counting a statement that already returns rows is a bug, not a failed commit', async () => {
  await assert.rejects(
    pipeline.commitInOneWrite([stmt('insert into t (id, name) values ($1, $2) returning id', [7, 'x'], 1)]),
    /returns rows already/,
  );
});

test('an unreachable database throws DatabaseUnavailableError', async () => {
  const dead = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', max: 1 });
  try {
    const p = transactionPipeline(dead, options('postgres://127.0.0.1:1/none'));
    await assert.rejects(
      p.run([stmt('select 1')], () => null),
      DatabaseUnavailableError,
    );
  } finally {
    await dead.end();
  }
});

/**
 * `ctx` with its pipeline wrapped to record how each pipelined commit went out: in one write ('one', or 'one,
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

test('the execution store commits through the pipeline, and its failures still name their transition', async () => {
  const ctx = await openStoreContext({ url: database.url, poolSize: 2, migrate: true });
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
    assert.deepEqual(writes, ['one', 'one']);
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

test('a one-write commit applies only newer visibility records, drops the attribute rows of those that win, and checks every fence', async () => {
  const ctx = await openStoreContext({ url: database.url, poolSize: 2, migrate: true });
  const { counted, writes } = countingWrites(ctx);
  const stored = async (runId: string) => {
    const version = await pool.query('select state_version from visibility_records where run_id = $1', [
      runId,
    ]);
    const attributes = await pool.query(
      'select count(*)::int as n from visibility_search_attributes where run_id = $1',
      [runId],
    );
    return { version: Number(version.rows[0]?.state_version), attributes: attributes.rows[0].n as number };
  };
  try {
    const executions = new SqlExecutionStore(counted);
    const shards = new SqlShardStore(counted);
    const lease = await shards.acquireShard(8, 'host-a', 30_000, T0);
    const c = key();
    const colour = { CustomKeywordField: { type: 'Keyword' as const, value: 'blue' } };
    // A record with search attributes writes their rows only if it wins: read first, two writes.
    await executions.commitShardBatch(lease, [
      create(c, lease.shardId, { visibility: visibility(c, { stateVersion: 5, searchAttributes: colour }) }),
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
    assert.deepEqual(writes, ['two', 'one', 'one']);

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

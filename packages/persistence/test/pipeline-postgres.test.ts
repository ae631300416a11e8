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
  const counted = async () => {
    const client = await connect();
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

test('a transaction of many statements costs two round trips, and decide sees the first step’s results', async () => {
  await pool.query('truncate t');
  sends.length = 0;
  let seen: readonly QueryResult<unknown>[] = [];
  const value = await pipeline.run(
    [
      raw('insert into t (id, name) values ($1, $2), ($3, $4)', [1, 'a', 2, 'b']),
      raw('update t set name = $1 where id = $2', ['c', 2]),
      raw('select id, name from t order by id'),
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
  const value = await pipeline.run([raw('insert into t (id, name) values ($1, $2)', [1, 'a'])], () => null);
  assert.equal(value, null);
  assert.equal(await count(), 0);
  assert.equal(pool.totalCount, 1);
});

test('a failing statement in either step rolls back the whole transaction and resolves to null', async () => {
  await pool.query('truncate t');
  await pool.query(`insert into t (id, name) values (1, 'kept')`);
  const first = await pipeline.run(
    [
      raw('insert into t (id, name) values ($1, $2)', [2, 'b']),
      raw('insert into t (id, name) values ($1, $2)', [1, 'duplicate']),
      raw('insert into t (id, name) values ($1, $2)', [3, 'skipped']),
    ],
    () => assert.fail('decide must not run after a failed statement'),
  );
  assert.equal(first, null);
  const second = await pipeline.run([raw('insert into t (id, name) values ($1, $2)', [4, 'b'])], () => ({
    statements: [raw('insert into t (id, name) values ($1, $2)', [1, 'duplicate'])],
    value: 'committed',
  }));
  assert.equal(second, null);
  assert.deepEqual((await pool.query('select id from t')).rows, [{ id: 1 }]);
  // The statements named on the closed connection are prepared again on the next one.
  const again = await pipeline.run([raw('insert into t (id, name) values ($1, $2)', [2, 'b'])], () => ({
    statements: [],
    value: 'ok',
  }));
  assert.equal(again, 'ok');
  assert.equal(await count(), 2);
});

test('an unreachable database throws DatabaseUnavailableError', async () => {
  const dead = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', max: 1 });
  try {
    const p = transactionPipeline(dead, options('postgres://127.0.0.1:1/none'));
    await assert.rejects(
      p.run([raw('select 1')], () => null),
      DatabaseUnavailableError,
    );
  } finally {
    await dead.end();
  }
});

test('the execution store commits through the pipeline, and its failures still name their transition', async () => {
  const ctx = await openStoreContext({ url: database.url, poolSize: 2, migrate: true });
  const runs: number[] = [];
  const counted: StoreContext = {
    ...ctx,
    pipeline: {
      run: (first, decide) => {
        runs.push(first.length);
        return ctx.pipeline!.run(first, decide);
      },
    },
  };
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
    assert.equal(runs.length, 2);
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

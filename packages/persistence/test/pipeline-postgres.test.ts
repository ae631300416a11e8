import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CompiledQuery } from 'kysely';
import pg from 'pg';
import { DatabaseUnavailableError } from '../src/contract.js';
import type { TransactionPipeline } from '../src/dialects/sql-dialect.js';
import { transactionPipeline } from '../src/dialects/postgres/pipeline.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { pipelinedCommitCases } from './support/pipelined-commits.js';
import { pipelineStatementCases } from './support/pipeline-statement-cases.js';

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

test('a transaction that reads before it decides costs two round trips', async () => {
  await pool.query('truncate t');
  sends.length = 0;
  const value = await pipeline.run([stmt('select count(*)::int as n from t')], (results) => ({
    statements: [
      raw('insert into t (id, name) values ($1, $2)', [(results[0]!.rows[0] as { n: number }).n, 'a']),
    ],
    value: 'done',
  }));
  assert.equal(value, 'done');
  assert.equal(sends.length, 2);
  assert.equal(await count(), 1);
});

test('decide returning null rolls everything back; the connection is reused', async () => {
  await pool.query('truncate t');
  const value = await pipeline.run([stmt('insert into t (id, name) values ($1, $2)', [1, 'a'])], () => null);
  assert.equal(value, null);
  assert.equal(await count(), 0);
  assert.equal(pool.totalCount, 1);
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

pipelineStatementCases({
  pipeline: () => pipeline,
  placeholders: (text) => {
    let n = 0;
    return text.replace(/\?/g, () => `$${++n}`);
  },
  resetWithOneRow: async () => {
    await pool.query('truncate t');
    await pool.query(`insert into t (id, name) values (1, 'kept')`);
  },
  rows: async () => (await pool.query('select id, name from t order by id')).rows,
  settle: (commit) => commit,
});
pipelinedCommitCases(() => database);

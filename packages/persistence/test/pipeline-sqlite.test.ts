import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { CompiledQuery, Kysely } from 'kysely';
import { DatabaseUnavailableError } from '../src/contract.js';
import { guardedDialect } from '../src/dialects/driver-errors.js';
import type { TransactionPipeline } from '../src/dialects/sql-dialect.js';
import { OdinSqliteDialect } from '../src/dialects/sqlite/driver.js';
import { sqlite } from '../src/dialects/sqlite/index.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { pipelinedCommitCases } from './support/pipelined-commits.js';
import { pipelineStatementCases } from './support/pipeline-statement-cases.js';

const dir = mkdtempSync(join(tmpdir(), 'odin-sqlite-pipeline-'));
let files = 0;

/** A WAL sync the test completes or fails by hand; each records whether a transaction was open when it started. */
class HeldSyncs {
  readonly started: Array<{ inTransaction: boolean; resolve: () => void; reject: (e: Error) => void }> = [];
  raw!: Database.Database;
  readonly sync = (): Promise<void> =>
    new Promise((resolve, reject) => {
      this.started.push({ inTransaction: this.raw.inTransaction, resolve, reject });
    });
  releaseAll(): void {
    for (const s of this.started.splice(0)) s.resolve();
  }
}

interface Opened {
  raw: Database.Database;
  db: Kysely<{ t: { id: number; name: string } }>;
  pipeline: TransactionPipeline;
  syncs: HeldSyncs;
}

function open(isConnectionFailure = sqlite.isConnectionFailure): Opened {
  const raw = new Database(join(dir, `db-${files++}.sqlite`));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.exec('create table t (id integer primary key, name text not null)');
  const syncs = new HeldSyncs();
  syncs.raw = raw;
  const dialect = new OdinSqliteDialect(raw, { syncWal: syncs.sync });
  const db = new Kysely<{ t: { id: number; name: string } }>({
    dialect: guardedDialect(dialect, 'sqlite:test', isConnectionFailure),
  });
  return { raw, db, pipeline: dialect.transactionPipeline(isConnectionFailure, 'sqlite:test'), syncs };
}

const raw = (text: string, parameters: unknown[] = []) => CompiledQuery.raw(text, parameters);
/** A statement of a pipelined transaction, with the rows it must change (or return) when `expectRows` is given. */
const stmt = (text: string, parameters: unknown[] = [], expectRows?: number) => ({
  query: raw(text, parameters),
  ...(expectRows === undefined ? {} : { expectRows }),
});
const rows = (o: Opened) => o.raw.prepare('select id, name from t order by id').all();

/** Resolves `p` while completing every WAL sync it waits for. */
async function synced<T>(o: Opened, p: Promise<T>): Promise<T> {
  const timer = setInterval(() => o.syncs.releaseAll(), 1);
  try {
    return await p;
  } finally {
    clearInterval(timer);
  }
}

let database: TestDatabase;
before(async () => {
  database = await createTestDatabase('sqlite');
});
after(async () => {
  await database.drop();
  rmSync(dir, { recursive: true, force: true });
});

test('a commit resolves only after a WAL sync that started once COMMIT returned; a failed sync is an error, not a retry', async () => {
  const o = open();
  let settled = false;
  const commit = o.pipeline.commitInOneWrite([stmt('insert into t (id, name) values (?, ?)', [1, 'a'], 1)]);
  void commit.then(() => {
    settled = true;
  });
  // The statements ran at once; the answer waits for the sync.
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(o.raw.inTransaction, false);
  assert.deepEqual(rows(o), [{ id: 1, name: 'a' }]);
  assert.equal(o.syncs.started.length, 1);
  assert.equal(o.syncs.started[0]!.inTransaction, false);
  assert.equal(settled, false);
  o.syncs.releaseAll();
  assert.equal(await commit, true);

  const failing = o.pipeline.commitInOneWrite([stmt('insert into t (id, name) values (?, ?)', [2, 'b'], 1)]);
  await new Promise((resolve) => setImmediate(resolve));
  o.syncs.started.splice(0)[0]!.reject(new Error('EIO'));
  await assert.rejects(failing, /durability unknown.*EIO/);
  // Committed all the same: the caller must not write it again.
  assert.equal(rows(o).length, 2);
  await o.db.destroy();
});

test('decide returning null rolls everything back and waits for no sync', async () => {
  const o = open();
  const value = await o.pipeline.run([stmt('insert into t (id, name) values (?, ?)', [1, 'a'])], () => null);
  assert.equal(value, null);
  assert.deepEqual(rows(o), []);
  assert.equal(o.syncs.started.length, 0);
  assert.equal(o.raw.inTransaction, false);
  await o.db.destroy();
});

test('a failure the dialect calls a lost connection throws DatabaseUnavailableError instead of asking for a re-run', async () => {
  // SQLite's own connection failures (I/O, a full disk) cannot be caused at will here: the test's dialect calls a
  // constraint failure one, which takes the same branch.
  const o = open((error) => (error as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT') === true);
  o.raw.exec(`insert into t (id, name) values (1, 'kept')`);
  await assert.rejects(
    o.pipeline.commitInOneWrite([stmt('insert into t (id, name) values (?, ?)', [1, 'again'])]),
    DatabaseUnavailableError,
  );
  assert.equal(o.raw.inTransaction, false);
  await o.db.destroy();
});

test('a bug in decide is thrown, after the transaction rolled back', async () => {
  const o = open();
  await assert.rejects(
    o.pipeline.run([stmt('insert into t (id, name) values (?, ?)', [1, 'a'])], () => {
      throw new TypeError('a bug');
    }),
    TypeError,
  );
  assert.deepEqual(rows(o), []);
  assert.equal(o.raw.inTransaction, false);
  await o.db.destroy();
});

test('the pipeline waits for a Kysely transaction that holds the connection', async () => {
  const o = open();
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const kyselyTx = synced(
    o,
    o.db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 1, name: 'kysely' }).execute();
      await held;
      await trx.insertInto('t').values({ id: 2, name: 'kysely' }).execute();
    }),
  );
  await new Promise((resolve) => setImmediate(resolve));
  const order: string[] = [];
  const piped = synced(
    o,
    o.pipeline
      .run([stmt('select count(*) as n from t')], (results) => {
        order.push(`pipeline saw ${(results[0]!.rows[0] as { n: number }).n}`);
        return { statements: [raw('insert into t (id, name) values (?, ?)', [3, 'pipeline'])], value: 1 };
      })
      .then(() => order.push('pipeline committed')),
  );
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(order, [], 'the pipeline waits while the Kysely transaction holds the connection');
  release();
  await kyselyTx;
  await piped;
  assert.deepEqual(order, ['pipeline saw 2', 'pipeline committed']);
  assert.equal(rows(o).length, 3);
  await o.db.destroy();
});

const shared = open();
after(() => shared.db.destroy());
pipelineStatementCases({
  pipeline: () => shared.pipeline,
  placeholders: (text) => text,
  resetWithOneRow: async () => {
    shared.raw.exec(`delete from t; insert into t (id, name) values (1, 'kept')`);
  },
  rows: async () => rows(shared),
  settle: (commit) => synced(shared, commit),
});
pipelinedCommitCases(() => database);

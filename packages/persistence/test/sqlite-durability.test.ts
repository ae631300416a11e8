import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { guardedDialect } from '../src/dialects/driver-errors.js';
import { sqlite } from '../src/dialects/sqlite/index.js';
import { parseConnectionUrl } from '../src/connection-url.js';
import { openDatabase } from '../src/database.js';
import { WAL_AUTOCHECKPOINT_PAGES } from '../src/dialects/sqlite/connect.js';
import { OdinSqliteDialect } from '../src/dialects/sqlite/driver.js';
import { WalFileSync } from '../src/dialects/sqlite/wal-sync.js';

interface Schema {
  t: { id: number; v: string };
}

const dir = mkdtempSync(join(tmpdir(), 'odin-sqlite-durability-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** A sync the test resolves or fails by hand; each call records how many rows were committed when it started. */
class ControlledSync {
  readonly calls: Array<{ rowsAtStart: number; resolve: () => void; reject: (e: Error) => void }> = [];
  raw!: Database.Database;

  readonly fn = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      assert.equal(this.raw.inTransaction, false, 'a sync starts only after COMMIT returned');
      this.calls.push({ rowsAtStart: countRows(this.raw), resolve, reject });
    });
}

function countRows(raw: Database.Database): number {
  return (raw.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
}

function openFile(syncWal: () => Promise<void>): { db: Kysely<Schema>; raw: Database.Database } {
  const raw = new Database(join(dir, `db-${files++}.sqlite`));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const db = new Kysely<Schema>({
    dialect: guardedDialect(
      new OdinSqliteDialect(raw, { syncWal }),
      'sqlite:test',
      sqlite.isConnectionFailure,
    ),
  });
  return { db, raw };
}

function openControlled(): { db: Kysely<Schema>; raw: Database.Database; sync: ControlledSync } {
  const sync = new ControlledSync();
  const { db, raw } = openFile(sync.fn);
  sync.raw = raw;
  return { db, raw, sync };
}

/** Tracks whether a promise has settled, without letting a rejection go unhandled. */
function track<T>(p: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let done = false;
  p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  return { settled: () => done, promise: p };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

const insertTx = (db: Kysely<Schema>, id: number) =>
  db.transaction().execute(async (trx) => {
    await trx
      .insertInto('t')
      .values({ id, v: `row ${id}` })
      .execute();
  });

test('a committed transaction resolves only after a sync that started after its COMMIT', async () => {
  const { db, raw, sync } = openControlled();
  const tx = track(insertTx(db, 1));
  await flush();
  assert.equal(sync.calls.length, 1);
  assert.equal(sync.calls[0]!.rowsAtStart, 1, 'the sync started after the row was committed');
  await flush();
  assert.equal(tx.settled(), false, 'not acknowledged before the sync completes');
  sync.calls[0]!.resolve();
  await tx.promise;
  assert.equal(countRows(raw), 1);
  await db.destroy();
});

test('the next transaction runs while the previous sync is in flight, and waits for the next sync', async () => {
  const { db, raw, sync } = openControlled();
  const first = track(insertTx(db, 1));
  await flush();
  assert.equal(sync.calls.length, 1);

  const second = track(insertTx(db, 2));
  await flush();
  await flush();
  assert.equal(countRows(raw), 2, 'the second transaction got the connection and committed');
  assert.equal(sync.calls.length, 1, 'at most one sync in flight');

  sync.calls[0]!.resolve();
  await first.promise;
  await flush();
  assert.equal(second.settled(), false, 'the in-flight sync may predate the second COMMIT');
  assert.equal(sync.calls.length, 2, 'the next sync starts as soon as the current one ends');
  assert.equal(sync.calls[1]!.rowsAtStart, 2);

  sync.calls[1]!.resolve();
  await second.promise;
  await db.destroy();
});

test('the commits made during one in-flight sync share a single next sync', async () => {
  const { db, raw, sync } = openControlled();
  const first = track(insertTx(db, 1));
  await flush();
  assert.equal(sync.calls.length, 1);

  const waiting = [
    ...[2, 3, 4, 5, 6].map((id) => track(insertTx(db, id))),
    ...[7, 8, 9].map((id) => track(db.insertInto('t').values({ id, v: 'auto' }).execute())),
  ];
  for (let i = 0; i < 5; i++) await flush();
  assert.equal(countRows(raw), 9);
  assert.equal(sync.calls.length, 1);

  sync.calls[0]!.resolve();
  await first.promise;
  await flush();
  assert.equal(sync.calls.length, 2);
  assert.ok(waiting.every((w) => !w.settled()));

  sync.calls[1]!.resolve();
  await Promise.all(waiting.map((w) => w.promise));
  await flush();
  assert.equal(sync.calls.length, 2, 'one sync for all eight commits');
  await db.destroy();
});

test('reads, rolled-back transactions and writes that change nothing never sync; autocommit writes do', async () => {
  let calls = 0;
  const { db, raw } = openFile(async () => {
    calls++;
  });
  raw.exec("INSERT INTO t (id, v) VALUES (1, 'seed')");

  assert.equal((await db.selectFrom('t').selectAll().execute()).length, 1);
  // SQLite calls this PRAGMA a write (sqlite3_stmt_readonly is false), yet it changes nothing.
  await sql`PRAGMA journal_mode`.execute(db);
  await assert.rejects(
    db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 2, v: 'undone' }).execute();
      throw new Error('abort');
    }),
    /abort/,
  );
  assert.equal(countRows(raw), 1, 'rolled back');
  await db.updateTable('t').set({ v: 'x' }).where('id', '=', 99).execute();
  assert.equal(calls, 0);

  await db.insertInto('t').values({ id: 3, v: 'auto' }).execute();
  assert.equal(calls, 1);
  await db.updateTable('t').set({ v: 'y' }).where('id', '=', 3).execute();
  assert.equal(calls, 2);
  const returned = await db.insertInto('t').values({ id: 4, v: 'returning' }).returning('id').execute();
  assert.deepEqual(returned, [{ id: 4 }]);
  assert.equal(calls, 3, 'a write that returns rows syncs too');
  await db.deleteFrom('t').where('id', '=', 99).returning('id').execute();
  assert.equal(calls, 3);
  await db.destroy();
});

test('a failing sync rejects every commit waiting on it; the next commit syncs again', async () => {
  const { db, raw, sync } = openControlled();
  const first = track(insertTx(db, 1));
  await flush();
  const second = track(insertTx(db, 2));
  const third = track(db.insertInto('t').values({ id: 3, v: 'auto' }).execute());
  await flush();
  await flush();
  sync.calls[0]!.resolve();
  await first.promise;
  await flush();
  assert.equal(sync.calls.length, 2);

  sync.calls[1]!.reject(new Error('EIO: i/o error, fsync'));
  await assert.rejects(second.promise, /durability unknown.*EIO/);
  await assert.rejects(third.promise, /durability unknown.*EIO/);
  assert.equal(countRows(raw), 3, 'committed in SQLite all the same');

  const fourth = track(insertTx(db, 4));
  await flush();
  assert.equal(sync.calls.length, 3, 'a new sync for the next commit');
  sync.calls[2]!.resolve();
  await fourth.promise;
  await db.destroy();
});

test('a commit whose sync fails does not roll back the transaction that holds the connection by then', async () => {
  const { db, raw, sync } = openControlled();
  const first = track(insertTx(db, 1));
  await flush();
  let proceed!: () => void;
  const gate = new Promise<void>((r) => {
    proceed = r;
  });
  const second = track(
    db.transaction().execute(async (trx) => {
      await trx.insertInto('t').values({ id: 2, v: 'open' }).execute();
      await gate;
    }),
  );
  await flush();
  assert.equal(raw.inTransaction, true, 'the second transaction is open');

  sync.calls[0]!.reject(new Error('EIO'));
  await assert.rejects(first.promise, /durability unknown/);
  assert.equal(raw.inTransaction, true, 'still open: the failed commit did not issue ROLLBACK');

  proceed();
  await flush();
  assert.equal(sync.calls.length, 2);
  sync.calls[1]!.resolve();
  await second.promise;
  assert.deepEqual(
    (raw.prepare('SELECT id FROM t ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id),
    [1, 2],
  );
  await db.destroy();
});

test('a connection kept across a commit (db.connection()) takes the lock again for its next statement', async () => {
  let calls = 0;
  const { db, raw } = openFile(async () => {
    calls++;
  });
  let inside = 0;
  const kept = db.connection().execute(async (conn) => {
    await conn.insertInto('t').values({ id: 1, v: 'auto' }).execute();
    await insertTx(conn, 2);
    inside = countRows(raw);
    return (await conn.selectFrom('t').select('id').execute()).length;
  });
  const other = insertTx(db, 3);
  const [seen] = await Promise.all([kept, other]);
  assert.ok(seen >= 2 && inside >= 2);
  assert.equal(countRows(raw), 3);
  assert.equal(calls >= 2, true);
  await db.destroy();
});

test('in-memory databases never sync', async () => {
  let calls = 0;
  const raw = new Database(':memory:');
  raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const db = new Kysely<Schema>({
    dialect: new OdinSqliteDialect(raw, {
      syncWal: async () => {
        calls++;
      },
    }),
  });
  await insertTx(db, 1);
  await db.insertInto('t').values({ id: 2, v: 'auto' }).execute();
  assert.equal(calls, 0);
  await db.destroy();
});

test('real sync: a file database runs WAL with synchronous NORMAL, its auto-checkpoint threshold and temporary files in memory, and its rows survive reopening', async () => {
  const file = join(dir, 'real.sqlite');
  const target = parseConnectionUrl(`sqlite:${file}`);
  const { db: opened } = await openDatabase(target);
  const db = opened as unknown as Kysely<Schema>;
  assert.equal((await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db)).rows[0]?.synchronous, 1);
  assert.equal(
    (await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(db)).rows[0]?.journal_mode,
    'wal',
  );
  assert.equal(
    (await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(db)).rows[0]
      ?.wal_autocheckpoint,
    WAL_AUTOCHECKPOINT_PAGES,
  );
  // 2: MEMORY (statement journals and other temporary files are not written to disk).
  assert.equal((await sql<{ temp_store: number }>`PRAGMA temp_store`.execute(db)).rows[0]?.temp_store, 2);
  await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`.execute(db);
  await Promise.all([
    insertTx(db, 1),
    insertTx(db, 2),
    db.insertInto('t').values({ id: 3, v: 'auto' }).execute(),
  ]);
  assert.ok(existsSync(`${file}-wal`));
  await db.destroy();

  const reopened = new Database(file, { readonly: true });
  assert.deepEqual(
    (reopened.prepare('SELECT id FROM t ORDER BY id').all() as Array<{ id: number }>).map((r) => r.id),
    [1, 2, 3],
  );
  reopened.close();
});

test('real sync: falls back to the database file when there is no WAL, and fails when neither exists', async () => {
  const file = join(dir, 'plain.sqlite');
  const raw = new Database(file);
  raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
  raw.close();
  assert.equal(existsSync(`${file}-wal`), false);
  const sync = new WalFileSync(file);
  await sync.sync();
  sync.close();
  await assert.rejects(new WalFileSync(join(dir, 'missing.sqlite')).sync(), { code: 'ENOENT' });
});

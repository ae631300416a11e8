import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { CompiledQuery, Kysely, sql } from 'kysely';
import { rowByRow } from '../src/dialects/row-by-row.js';
import { OdinSqliteDialect } from '../src/dialects/sqlite/driver.js';
import { insertRows, precompiledShapes, rowByRowQuery } from '../src/stores/precompiled.js';

interface Db {
  t: { id: number; name: string; data: Uint8Array | null };
}

const dir = mkdtempSync(join(tmpdir(), 'odin-sqlite-row-by-row-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Odin's SQLite driver on a WAL file whose syncs are counted, and a shape owner that inserts row by row. */
function open() {
  const raw = new Database(join(dir, `db-${files++}.sqlite`));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, data BLOB)');
  const syncs = { started: 0, rowsAtStart: [] as number[] };
  const db = new Kysely<Db>({
    dialect: new OdinSqliteDialect(raw, {
      syncWal: async () => {
        syncs.started++;
        syncs.rowsAtStart.push(count(raw));
      },
    }),
  });
  const owner = { dialect: { writesRowByRow: true } };
  return { db, raw, owner, syncs };
}

function count(raw: Database.Database): number {
  return (raw.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
}

const row = (id: number, name = `n${id}`) => ({ id, name, data: id % 2 ? Buffer.from(`d${id}`) : null });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => row(from + i));

test('a many-row INSERT runs row by row: every row written, one statement shape for every row count', async () => {
  const { db, raw, owner } = open();
  let written = 0;
  written += await insertRows(owner, db, 't', range(1, 1));
  written += await insertRows(owner, db, 't', range(2, 4));
  written += await insertRows(owner, db, 't', range(5, 54));
  written += await insertRows(owner, db, 't', range(55, 61));
  assert.equal(written, 61);
  assert.equal(count(raw), 61);
  const stored = raw.prepare('SELECT id, name, data FROM t WHERE id IN (2, 54, 61) ORDER BY id').all();
  assert.deepEqual(stored, [
    { id: 2, name: 'n2', data: null },
    { id: 54, name: 'n54', data: null },
    { id: 61, name: 'n61', data: Buffer.from('d61') },
  ]);
  // One shape, the one-row statement, served 1, 3, 50 and 7 rows.
  assert.deepEqual(
    precompiledShapes(owner).map((key) => key.split('\u0000').at(-1)),
    ['1'],
  );
  await db.destroy();
});

test('a many-row UPDATE or DELETE runs row by row too: the rows it changed add up, one shape for every count', async () => {
  const { db, raw, owner } = open();
  await insertRows(owner, db, 't', range(1, 10));
  const rename = (pairs: [string, number][]) =>
    rowByRowQuery(owner, 'rename', pairs.flat(), 2, () =>
      CompiledQuery.raw('UPDATE t SET name = ? WHERE id = ?', [...pairs[0]!]),
    )!;
  // Row 99 does not exist: it changes nothing, and the count says so (the group commit's CAS check reads it).
  const renamed = await db.executeQuery(
    rename([
      ['a', 1],
      ['b', 2],
      ['c', 99],
      ['d', 4],
    ]),
  );
  assert.equal(renamed.numAffectedRows, 3n);
  await db.executeQuery(
    rename([
      ['e', 5],
      ['f', 6],
    ]),
  );
  const drop = (ids: number[]) =>
    rowByRowQuery(owner, 'drop', ids, 1, () => CompiledQuery.raw('DELETE FROM t WHERE id = ?', [ids[0]!]))!;
  assert.equal((await db.executeQuery(drop([7, 8, 9]))).numAffectedRows, 3n);
  assert.deepEqual(
    raw
      .prepare('SELECT id, name FROM t ORDER BY id')
      .all()
      .map((r) => Object.values(r as object).join(':')),
    ['1:a', '2:b', '3:n3', '4:d', '5:e', '6:f', '10:n10'],
  );
  assert.deepEqual(
    precompiledShapes(owner).filter((key) => !key.startsWith('insert')),
    ['rename\u00001', 'drop\u00001'],
  );
  // One row, or a dialect that does not write row by row: the caller builds the many-row statement itself.
  assert.equal(
    rowByRowQuery(owner, 'drop', [1], 1, () => CompiledQuery.raw('DELETE FROM t WHERE id = ?', [1])),
    undefined,
  );
  assert.equal(
    rowByRowQuery({ dialect: { writesRowByRow: false } }, 'drop', [1, 2], 1, () =>
      CompiledQuery.raw('DELETE FROM t WHERE id = ?', [1]),
    ),
    undefined,
  );
  await db.destroy();
});

test('row by row, an upsert that skips conflicts counts only the rows it wrote', async () => {
  const { db, raw, owner } = open();
  await insertRows(owner, db, 't', range(1, 2));
  const variant = {
    name: 'insertIfAbsent',
    // biome-ignore lint/suspicious/noExplicitAny: the table's insert builder.
    finish: (insert: any) => insert.onConflict((oc: any) => oc.column('id').doNothing()),
  };
  const written = await insertRows(
    owner,
    db,
    't',
    [row(2, 'other'), row(3), row(1, 'other'), row(4)],
    variant,
  );
  assert.equal(written, 2);
  assert.equal(count(raw), 4);
  assert.equal((raw.prepare('SELECT name FROM t WHERE id = 2').get() as { name: string }).name, 'n2');
  await db.destroy();
});

test('a failing row undoes the statement, not the transaction around it', async () => {
  const { db, raw, owner } = open();
  await db.transaction().execute(async (trx) => {
    await insertRows(owner, trx, 't', range(1, 1));
    // The third row's id is taken: the statement fails after writing two rows, and they are undone with it.
    await assert.rejects(insertRows(owner, trx, 't', [row(10), row(11), row(1), row(12)]), /UNIQUE/);
    assert.equal(raw.inTransaction, true, 'the transaction is still open');
    await insertRows(owner, trx, 't', range(20, 21));
  });
  assert.deepEqual(
    raw
      .prepare('SELECT id FROM t ORDER BY id')
      .all()
      .map((r) => (r as { id: number }).id),
    [1, 20, 21],
  );
  await db.destroy();
});

test('outside a transaction the rows commit together, or not at all, and are synced before the answer', async () => {
  const { db, raw, owner, syncs } = open();
  await assert.rejects(insertRows(owner, db, 't', [row(1), row(2), row(1)]), /UNIQUE/);
  assert.equal(count(raw), 0);
  assert.equal(raw.inTransaction, false);
  const before = syncs.started;
  assert.equal(await insertRows(owner, db, 't', range(1, 5)), 5);
  // Acknowledged only after a sync that started once all five rows were committed.
  assert.equal(syncs.started, before + 1);
  assert.equal(syncs.rowsAtStart.at(-1), 5);
  await db.destroy();
});

test('a row-by-row statement is refused unless its parameters make whole rows, or when it returns rows', async () => {
  const { db } = open();
  const single = CompiledQuery.raw('INSERT INTO t (id, name, data) VALUES (?, ?, ?)', [1, 'a', null]);
  assert.throws(() => rowByRow(single, [1, 'a', null, 2], 3), /do not make rows of 3/);
  const returning = CompiledQuery.raw('INSERT INTO t (id, name, data) VALUES (?, ?, ?) RETURNING id', []);
  await assert.rejects(
    db.executeQuery(rowByRow(returning, [1, 'a', null, 2, 'b', null], 3)),
    /returns no rows/,
  );
  assert.equal((await sql<{ n: number }>`SELECT count(*) AS n FROM t`.execute(db)).rows[0]!.n, 0);
  await db.destroy();
});

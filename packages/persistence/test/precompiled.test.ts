import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { executePrecompiled, insertRows, precompiledQuery } from '../src/stores/precompiled.js';

interface Db {
  t: { id: number; name: string; data: Uint8Array | null };
}

function open(): Kysely<Db> {
  const db = new Kysely<Db>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  return db;
}

async function rows(db: Kysely<Db>) {
  return (await db.selectFrom('t').selectAll().orderBy('id').execute()).map((r) => ({
    id: r.id,
    name: r.name,
    data: r.data === null ? null : Buffer.from(r.data).toString(),
  }));
}

test('a statement shape is compiled once and runs again with the new parameters', async () => {
  const db = open();
  await sql`create table t (id integer primary key, name text not null, data blob)`.execute(db);
  const owner = {};
  let compiles = 0;
  const select = (id: number) =>
    executePrecompiled(owner, db, 'byId', [id], () => {
      compiles++;
      return db.selectFrom('t').select('name').where('id', '=', id).compile();
    });
  await insertRows(owner, db, 't', [
    { id: 1, name: 'a', data: Buffer.from('x') },
    { id: 2, name: 'b', data: null },
  ]);
  await insertRows(owner, db, 't', [
    { id: 3, name: 'c', data: null },
    { id: 4, name: 'd', data: Buffer.from('y') },
  ]);
  assert.deepEqual(await rows(db), [
    { id: 1, name: 'a', data: 'x' },
    { id: 2, name: 'b', data: null },
    { id: 3, name: 'c', data: null },
    { id: 4, name: 'd', data: 'y' },
  ]);
  assert.deepEqual((await select(3)).rows, [{ name: 'c' }]);
  assert.deepEqual((await select(4)).rows, [{ name: 'd' }]);
  assert.equal(compiles, 1);
  await db.destroy();
});

test('a row holding an expression, or a shape whose parameters differ, is built per call', async () => {
  const db = open();
  await sql`create table t (id integer primary key, name text not null, data blob)`.execute(db);
  const owner = {};
  await insertRows(owner, db, 't', [{ id: 1, name: 'a', data: null }]);
  // Same shape key as the cached one-row insert: the expression must reach SQLite as SQL, not as a parameter.
  await insertRows(owner, db, 't', [
    { id: 2, name: sql<string>`'b' || 'c'` as unknown as string, data: null },
  ]);
  assert.deepEqual(await rows(db), [
    { id: 1, name: 'a', data: null },
    { id: 2, name: 'bc', data: null },
  ]);
  // The caller's parameter list does not match what Kysely compiled: never cached.
  let compiles = 0;
  for (const id of [1, 2]) {
    const r = await executePrecompiled(owner, db, 'mismatch', [id, 'extra'], () => {
      compiles++;
      return db.selectFrom('t').select('name').where('id', '=', id).compile();
    });
    assert.equal(r.rows.length, 1);
  }
  assert.equal(compiles, 2);
  await db.destroy();
});

test("a cached shape keeps the statement's SQL, not Kysely's operation tree of it", async () => {
  const db = open();
  await sql`create table t (id integer primary key, name text not null, data blob)`.execute(db);
  const owner = {};
  const compileInsert = (id: number) => () =>
    db.insertInto('t').values({ id, name: 'n', data: null }).compile();
  const first = precompiledQuery(owner, 'insert-one', [1, 'n', null], compileInsert(1));
  assert.equal(first.query.kind, 'InsertQueryNode');
  // Served from the cache: the same SQL, a raw node instead of the tree (which nothing reads once compiled).
  const again = precompiledQuery(owner, 'insert-one', [2, 'n', null], compileInsert(2));
  assert.equal(again.sql, first.sql);
  assert.equal(again.query.kind, 'RawNode');
  assert.deepEqual(again.parameters, [2, 'n', null]);
  await db.executeQuery(again);
  assert.deepEqual(await rows(db), [{ id: 2, name: 'n', data: null }]);
  await db.destroy();
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { insertRowsTogether } from '../src/stores/precompiled.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { loggedPostgres } from './support/logged-postgres.js';

interface Db {
  a: { id: number; data: Uint8Array | null };
  b: { id: number; name: string };
  c: { id: number; name: string };
}

let database: TestDatabase;
let db: Kysely<Db>;
/** Every statement the pool ran, in order. */
const statements: string[] = [];

before(async () => {
  database = await createTestDatabase('postgres');
  db = loggedPostgres<Db>(database.url, statements);
  await sql`create table a (id integer primary key, data bytea)`.execute(db);
  await sql`create table b (id integer primary key, name text not null)`.execute(db);
  await sql`create table c (id integer primary key, name text not null)`.execute(db);
});

after(async () => {
  await db.destroy();
  await database.drop();
});

test('rows of several tables go in one statement, and again with the same shape and new values', async () => {
  statements.length = 0;
  const owner = {};
  await insertRowsTogether(owner, db, [
    {
      table: 'a',
      rows: [
        { id: 1, data: Buffer.from('x') },
        { id: 2, data: null },
      ],
    },
    { table: 'b', rows: [] },
    { table: 'c', rows: [{ id: 1, name: 'one' }] },
  ]);
  await insertRowsTogether(owner, db, [
    {
      table: 'a',
      rows: [
        { id: 3, data: null },
        { id: 4, data: Buffer.from('y') },
      ],
    },
    { table: 'b', rows: [] },
    { table: 'c', rows: [{ id: 2, name: 'two' }] },
  ]);
  assert.equal(statements.length, 2, statements.join('\n'));
  assert.equal(statements[0], statements[1]);
  const a = await db.selectFrom('a').selectAll().orderBy('id').execute();
  assert.deepEqual(
    a.map((r) => [r.id, r.data === null ? null : Buffer.from(r.data).toString()]),
    [
      [1, 'x'],
      [2, null],
      [3, null],
      [4, 'y'],
    ],
  );
  assert.deepEqual(
    (await db.selectFrom('c').selectAll().orderBy('id').execute()).map((r) => [r.id, r.name]),
    [
      [1, 'one'],
      [2, 'two'],
    ],
  );
  assert.equal((await db.selectFrom('b').selectAll().execute()).length, 0);
});

test('the statement is atomic: a failing insert of one table leaves the others unwritten', async () => {
  const owner = {};
  await assert.rejects(
    insertRowsTogether(owner, db, [
      { table: 'b', rows: [{ id: 10, name: 'kept?' }] },
      { table: 'c', rows: [{ id: 1, name: 'duplicate key' }] },
    ]),
    /duplicate key/,
  );
  assert.equal((await db.selectFrom('b').selectAll().where('id', '=', 10).execute()).length, 0);
});

test('one table with rows is a plain insert', async () => {
  statements.length = 0;
  await insertRowsTogether({}, db, [
    { table: 'b', rows: [{ id: 20, name: 'alone' }] },
    { table: 'c', rows: [] },
  ]);
  assert.equal(statements.length, 1);
  assert.match(statements[0]!, /^insert into "b"/);
});

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { readPostgresRowArrays } from '../src/dialects/postgres/column-arrays.js';
import type { RowArrays } from '../src/dialects/sql-dialect.js';
import { insertRows, insertRowsQuery, insertRowsTogether } from '../src/stores/precompiled.js';
import type { Tables } from '../src/tables.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { loggedPostgres } from './support/logged-postgres.js';

interface Db {
  blobs: { id: number; big: number; name: string | null; data: Uint8Array | null };
  tags: { id: number; tag: string };
}

let database: TestDatabase;
let db: Kysely<Db>;
let rowArrays: RowArrays;
/** Every statement the pool ran, in order. */
const statements: string[] = [];

before(async () => {
  database = await createTestDatabase('postgres');
  db = loggedPostgres<Db>(database.url, statements);
  await sql`create table blobs (id integer primary key, big bigint not null, name varchar(100), data bytea)`.execute(
    db,
  );
  await sql`create table tags (id integer primary key, tag text not null)`.execute(db);
  rowArrays = await readPostgresRowArrays(db as unknown as Kysely<Tables>);
});

after(async () => {
  await db.destroy();
  await database.drop();
});

const awkward = ['plain', `quote ' and " double`, 'back\\slash', 'comma, {brace}', 'ünïcødé ✓', '', 'NULL'];

function blobRows(from: number, count: number) {
  return Array.from({ length: count }, (_, i) => {
    const id = from + i;
    return {
      id,
      big: 2 ** 53 - 1 - id,
      name: i % 4 === 3 ? null : awkward[i % awkward.length]!,
      data: i % 5 === 4 ? null : i % 5 === 3 ? Buffer.alloc(0) : Buffer.from([0, id % 256, 255, 92, 34, 123]),
    };
  });
}

async function stored(from: number, to: number) {
  const rows = await db
    .selectFrom('blobs')
    .selectAll()
    .where('id', '>=', from)
    .where('id', '<', to)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    big: Number(r.big),
    name: r.name,
    data: r.data === null ? null : Buffer.from(r.data),
  }));
}

test('eight rows or more go in from one array per column, one statement text for any number of them', async () => {
  statements.length = 0;
  const owner = { rowArrays };
  const first = blobRows(100, 8);
  const second = blobRows(200, 13);
  await insertRows(owner, db, 'blobs', first);
  await insertRows(owner, db, 'blobs', second);
  assert.equal(statements.length, 2);
  assert.equal(statements[0], statements[1], 'the same text for 8 and 13 rows');
  assert.match(
    statements[0]!,
    /select \* from unnest\(\$1::int4\[\], \$2::int8\[\], \$3::varchar\[\], \$4::bytea\[\]\)/,
  );
  assert.deepEqual(await stored(100, 108), first);
  assert.deepEqual(await stored(200, 213), second);
});

test('fewer than eight rows, or a table the schema read did not have, keep a VALUES list', async () => {
  statements.length = 0;
  const owner = { rowArrays };
  const few = blobRows(300, 7);
  await insertRows(owner, db, 'blobs', few);
  assert.match(statements[0]!, /values/);
  assert.deepEqual(await stored(300, 307), few);
  await sql`create table late (id integer primary key)`.execute(db);
  const late = Array.from({ length: 10 }, (_, i) => ({ id: i }));
  const query = insertRowsQuery(owner, db, 'late', late);
  assert.match(query.sql, /values/);
  assert.equal(query.parameters.length, 10);
});

test('a Uint8Array that is not a Buffer is bytes too', async () => {
  const rows = blobRows(400, 8).map((r, i) => ({ ...r, data: i === 0 ? new Uint8Array([1, 2, 3]) : r.data }));
  await insertRows({ rowArrays }, db, 'blobs', rows);
  assert.deepEqual((await stored(400, 401))[0]!.data, Buffer.from([1, 2, 3]));
});

test('tables from arrays and from VALUES lists go together in one statement', async () => {
  statements.length = 0;
  const owner = { rowArrays };
  const blobs = blobRows(500, 9);
  await insertRowsTogether(owner, db, [
    { table: 'blobs', rows: blobs },
    { table: 'tags', rows: [{ id: 1, tag: 'one' }] },
  ]);
  assert.equal(statements.length, 1);
  assert.match(
    statements[0]!,
    /^with "w0" as \(insert into "blobs" .* select \* from unnest\(.*\)\) insert into "tags" .* values/,
  );
  assert.deepEqual(await stored(500, 509), blobs);
  assert.deepEqual(await db.selectFrom('tags').selectAll().execute(), [{ id: 1, tag: 'one' }]);
});

test('a conflict in an INSERT from arrays fails the statement like a VALUES list', async () => {
  const rows = blobRows(600, 8);
  await insertRows({ rowArrays }, db, 'blobs', rows);
  await assert.rejects(insertRows({ rowArrays }, db, 'blobs', rows), /duplicate key/);
  assert.deepEqual(await stored(600, 608), rows, 'the failed statement changed nothing');
});

// The rows of a multi-row INSERT as one array parameter per column (`INSERT … SELECT * FROM unnest($1::varchar[],
// $2::int8[], …)`) instead of a VALUES list of one parameter per cell. Why: a VALUES list makes a new statement text
// for every row count, so a group commit's INSERTs were parsed and planned anew on almost every commit (long ones are
// not even named, see prepared.ts). With the server's statement log on under W2 (`log_min_duration_statement = 0`),
// parse and bind (where PostgreSQL plans an unnamed statement) took 2.5 of the 6.9 seconds its statements cost. One
// text per statement is parsed once per connection, and an INSERT from unnest has no plan to choose.
//
// The many-row UPDATEs keep their VALUES lists, planned for the tables as they are each time: from unnest, W2 run
// after W1 on the same database was slower in 5 of 5 pairs, by up to 42 % (docs/performance.md, twenty-first pass).
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Tables } from '../../tables.js';
import type { RowArrays } from '../sql-dialect.js';

/** PostgreSQL's type id of bytea, the element type of a binary bytea[] (`binaryByteaArray`). */
const BYTEA_OID = 17;

/**
 * A bytea[] in PostgreSQL's binary array format, or undefined when a value is neither bytes nor null. Why:
 * node-postgres writes an array parameter as text, where each byte string becomes hex (twice its size) inside an
 * array literal that PostgreSQL parses back, for every event and state blob of a commit. A Buffer parameter goes in
 * binary, as the blobs of a VALUES list do, and the statement's `::bytea[]` cast tells PostgreSQL how to read it.
 */
function binaryByteaArray(values: readonly unknown[]): Buffer | undefined {
  let size = 20;
  let nulls = 0;
  for (const value of values) {
    if (value === null) nulls = 1;
    else if (value instanceof Uint8Array) size += value.byteLength;
    else return undefined;
    size += 4;
  }
  const out = Buffer.allocUnsafe(size);
  out.writeInt32BE(1, 0); // dimensions
  out.writeInt32BE(nulls, 4); // whether any element is NULL
  out.writeInt32BE(BYTEA_OID, 8);
  out.writeInt32BE(values.length, 12);
  out.writeInt32BE(1, 16); // the dimension's lower bound
  let at = 20;
  for (const value of values) {
    if (value === null) {
      out.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    const bytes = value as Uint8Array;
    out.writeInt32BE(bytes.byteLength, at);
    out.set(bytes, at + 4);
    at += 4 + bytes.byteLength;
  }
  return out;
}

/** The parameter of one column's values: a binary array for bytea (`binaryByteaArray`), else the values as they are. */
function columnParameter(values: unknown[], type: string): unknown {
  return type === 'bytea' ? (binaryByteaArray(values) ?? values) : values;
}

/** `unnest(<one array per column>)`: rows given column by column, each array cast to its column's element type. */
function unnestRows(types: readonly string[], arrays: readonly unknown[]): RawBuilder<unknown> {
  return sql`unnest(${sql.join(arrays.map((values, i) => sql`${values}::${sql.raw(types[i]!)}[]`))})`;
}

/** Element types by table and column (`udt_name`: varchar, int4, int8, bytea, text, jsonb, …). */
type ColumnTypes = ReadonlyMap<string, ReadonlyMap<string, string>>;

/**
 * Fewer rows than this keep their VALUES list. A short one is a named statement already (prepared.ts), parsed and
 * planned once per connection for each of the few row counts below this, and costs PostgreSQL less to run than
 * arrays to unpack: with every INSERT from arrays, W1 with an activity (a few rows per INSERT) took more server CPU
 * per workflow and was slower in 5 of 7 pairs, while the larger commits of the local step gained.
 */
const MIN_ROWS = 8;

function insertSource(
  types: ColumnTypes,
  table: string,
  columns: readonly string[],
  rows: readonly object[],
): { select: RawBuilder<unknown>; parameters: unknown[] } | undefined {
  if (rows.length < MIN_ROWS) return undefined;
  const tableTypes = types.get(table);
  if (tableTypes === undefined) return undefined;
  const columnTypes: string[] = [];
  for (const name of columns) {
    const type = tableTypes.get(name);
    if (type === undefined) return undefined;
    columnTypes.push(type);
  }
  const arrays = columns.map((name, i) =>
    columnParameter(
      rows.map((row) => (row as Record<string, unknown>)[name]),
      columnTypes[i]!,
    ),
  );
  return { select: sql`select * from ${unnestRows(columnTypes, arrays)}`, parameters: arrays };
}

/** The INSERT forms for the columns of the tables in the connection's schema, as they are now. */
export async function readPostgresRowArrays(db: Kysely<Tables>): Promise<RowArrays> {
  const { rows } = await sql<{ table_name: string; column_name: string; udt_name: string }>`
    select table_name, column_name, udt_name from information_schema.columns
    where table_schema = current_schema()`.execute(db);
  const types = new Map<string, Map<string, string>>();
  for (const row of rows) {
    let table = types.get(row.table_name);
    if (table === undefined) {
      table = new Map();
      types.set(row.table_name, table);
    }
    // An array column's udt_name is its element type with a leading underscore; none of the store's columns is one,
    // and its cast here would be wrong: the INSERT lists VALUES instead.
    if (!row.udt_name.startsWith('_')) table.set(row.column_name, row.udt_name);
  }
  return { insertSource: (table, columns, inserted) => insertSource(types, table, columns, inserted) };
}

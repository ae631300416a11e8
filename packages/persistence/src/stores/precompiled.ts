import type { Compilable, QueryResult, RawBuilder } from 'kysely';
import { CompiledQuery, createQueryId } from 'kysely';
import { rowByRow } from '../dialects/row-by-row.js';
import type { RowArrays, SqlDialect } from '../dialects/sql-dialect.js';

/**
 * Why this exists: Kysely builds an operation tree and compiles it to SQL on every call, which cost about a tenth of
 * the server's CPU on the commit path. The statements there have a fixed shape (table, columns, row count), so
 * their SQL text is compiled once per shape and executed again with fresh parameters. A shape is cached only after
 * checking that Kysely's parameters for it are exactly the ones the caller lists, in the same order, so a statement
 * whose parameters Kysely would rewrite, reorder or inline keeps being built per call.
 */

/** What runs a statement: the store's Kysely handle or a transaction of it. */
export interface QueryRunner {
  executeQuery<R>(query: CompiledQuery<R> | Compilable<R>): Promise<QueryResult<R>>;
}

/** Runs `queries` one after another (each a round trip where the database is a server); their results in order. */
export async function runInOrder(
  trx: QueryRunner,
  queries: readonly CompiledQuery<unknown>[],
): Promise<QueryResult<unknown>[]> {
  const results: QueryResult<unknown>[] = [];
  for (const query of queries) results.push(await trx.executeQuery(query));
  return results;
}

/** What builds a statement: the store's Kysely handle or a transaction of it (only its builders are used). */
export type Builder = object;

interface Shape {
  sql: string;
  query: CompiledQuery['query'];
}

/** Shapes per store context: a handful of statements times the row counts of an insert chunk. */
const MAX_SHAPES = 2048;

const shapesByOwner = new WeakMap<object, Map<string, Shape | null>>();

/**
 * Executes the statement `compile` returns, whose parameters are `parameters` in order, reusing the SQL compiled for
 * `key` the first time. `owner` scopes the cache to one database (its dialect decides the SQL text); `key` must name
 * the shape exactly (statement, and row count for multi-row statements).
 */
export function executePrecompiled<R>(
  owner: object,
  trx: QueryRunner,
  key: string,
  parameters: readonly unknown[],
  compile: () => CompiledQuery<R>,
): Promise<QueryResult<R>> {
  return trx.executeQuery(precompiledQuery(owner, key, parameters, compile));
}

/** The statement executePrecompiled would run, without running it (for a pipelined transaction). */
export function precompiledQuery<R>(
  owner: object,
  key: string,
  parameters: readonly unknown[],
  compile: () => CompiledQuery<R>,
): CompiledQuery<R> {
  let shapes = shapesByOwner.get(owner);
  if (shapes === undefined) {
    shapes = new Map();
    shapesByOwner.set(owner, shapes);
  }
  const shape = shapes.get(key);
  if (shape) return { sql: shape.sql, query: shape.query, parameters, queryId: createQueryId() };
  const compiled = compile();
  if (shape === undefined && shapes.size < MAX_SHAPES) {
    // The SQL is kept, not Kysely's operation tree, which nothing reads once the SQL is compiled (the driver runs
    // `sql` and `parameters`): the tree of a many-row INSERT holds objects for every cell, tens of kilobytes a shape.
    shapes.set(
      key,
      sameParameters(compiled.parameters, parameters)
        ? { sql: compiled.sql, query: CompiledQuery.raw(compiled.sql).query }
        : null,
    );
  }
  return compiled;
}

/** The shapes cached for `owner` with their SQL (not those found to need building per call), for tests. */
export function precompiledShapes(owner: object): string[] {
  return [...(shapesByOwner.get(owner) ?? [])].filter(([, shape]) => shape !== null).map(([key]) => key);
}

function sameParameters(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Whose shape cache a statement uses: one per database (a store context), since its dialect decides the SQL text.
 * Where the context has `rowArrays`, multi-row INSERTs take their rows from one array parameter per column: one
 * shape, and one statement text, for any number of rows.
 */
export interface ShapeOwner {
  readonly rowArrays?: RowArrays | undefined;
  /** Where the dialect runs a many-row write row by row (`SqlDialect.writesRowByRow`). */
  readonly dialect?: Pick<SqlDialect, 'writesRowByRow'>;
}

/** A statement built on a multi-row INSERT (an upsert), named so its shapes are cached apart from the plain insert. */
export interface InsertVariant {
  name: string;
  // biome-ignore lint/suspicious/noExplicitAny: receives the table's insert builder, whatever its table.
  finish: (insert: any) => Compilable<unknown>;
}

/**
 * One multi-row INSERT of `rows` into `table` (or the `variant` built on it) through the shape cache. Rows must have
 * the same columns in the same order (the store builds them with one object literal); otherwise, or when a value is
 * undefined, the statement is built the ordinary way.
 */
export async function insertRows<T extends object>(
  owner: ShapeOwner,
  trx: QueryRunner & Builder,
  table: string,
  rows: readonly T[],
  variant?: InsertVariant,
): Promise<number> {
  if (rows.length === 0) return 0;
  return affectedRows(await trx.executeQuery(insertRowsQuery(owner, trx, table, rows, variant)));
}

/** The statement insertRows runs for `rows` (at least one), built with `builder`, without running it. */
export function insertRowsQuery<T extends object>(
  owner: ShapeOwner,
  builder: Builder,
  table: string,
  rows: readonly T[],
  variant?: InsertVariant,
): CompiledQuery<unknown> {
  const finish = (insert: unknown) => (variant ? variant.finish(insert) : insert) as Compilable<unknown>;
  if (!uniformRows(rows)) return finish(valuesInsert(builder, table, rows)).compile();
  const columns = Object.keys(rows[0]!);
  const kind = variant?.name ?? 'insert';
  const arrays = owner.rowArrays?.insertSource(table, columns, rows);
  if (arrays) {
    return precompiledQuery(
      owner,
      `${kind}\u0000${table}\u0000${columns.join(',')}\u0000arrays`,
      arrays.parameters,
      () => finish(arraysInsert(builder, table, columns, arrays.select)).compile(),
    );
  }
  const parameters = rowParameters(rows, columns);
  const byRow = rowByRowQuery(
    owner,
    `${kind}\u0000${table}\u0000${columns.join(',')}`,
    parameters,
    columns.length,
    () => finish(valuesInsert(builder, table, rows.slice(0, 1))).compile(),
  );
  if (byRow) return byRow;
  return precompiledQuery(
    owner,
    `${kind}\u0000${table}\u0000${columns.join(',')}\u0000${rows.length}`,
    parameters,
    () => finish(valuesInsert(builder, table, rows)).compile(),
  );
}

/**
 * A many-row write as its one-row statement run row by row (row-by-row.ts), where the dialect writes that way
 * (`SqlDialect.writesRowByRow`, SQLite): one statement text, prepared once, for every row count. A statement per row
 * count is also one prepared statement per row count in SQLite's cache, ~1 KB per row of its text each (400 shapes of
 * the group commit's UPDATE … FROM (VALUES …), 1 to 400 rows, held 72 MB), which the server kept for as long as they
 * stayed in the cache. `parameters` are every row's, `width` to a row; `key` names the statement without its row count
 * (the one-row shape is cached as `${key}\u00001`, the key the many-row form of one row has). Undefined elsewhere, for
 * one row, and when the one-row statement's parameters are not exactly the row's (a variant adding its own): the
 * caller then builds the many-row statement.
 */
export function rowByRowQuery(
  owner: ShapeOwner,
  key: string,
  parameters: readonly unknown[],
  width: number,
  compileOne: () => CompiledQuery<unknown>,
): CompiledQuery<unknown> | undefined {
  if (!owner.dialect?.writesRowByRow || parameters.length <= width) return undefined;
  const first = parameters.slice(0, width);
  const single = precompiledQuery(owner, `${key}\u00001`, first, compileOne);
  return sameParameters(single.parameters, first) ? rowByRow(single, parameters, width) : undefined;
}

/** `INSERT INTO table (…) VALUES (…), …`. */
function valuesInsert(builder: Builder, table: string, rows: readonly object[]): unknown {
  // biome-ignore lint/suspicious/noExplicitAny: the table name and row type are checked by the callers' Tables types.
  return (builder as any).insertInto(table).values(rows);
}

/** `INSERT INTO table (columns) <select>`: the rows from the dialect's arrays (`RowArrays.insertSource`). */
function arraysInsert(
  builder: Builder,
  table: string,
  columns: readonly string[],
  select: RawBuilder<unknown>,
): unknown {
  // biome-ignore lint/suspicious/noExplicitAny: as valuesInsert.
  return (builder as any).insertInto(table).columns(columns).expression(select);
}

/** Rows a statement wrote (an upsert's skipped rows not counted where the driver says so). */
export function affectedRows(result: QueryResult<unknown>): number {
  return Number(result.numAffectedRows ?? 0n);
}

/** A value Kysely passes through as one parameter (an expression or a list would change the SQL). */
function isPlainParameter(value: unknown): boolean {
  if (value === undefined) return false;
  return typeof value !== 'object' || value === null || value instanceof Uint8Array;
}

/** The rows of one table for `insertRowsTogether`. */
export interface TableRows {
  readonly table: string;
  readonly rows: readonly object[];
}

/**
 * The multi-row INSERTs of several tables as ONE statement: each table's INSERT but the last becomes a
 * data-modifying common table expression of the last one (PostgreSQL runs every such CTE exactly once, inside the
 * statement, so the statement is atomic like the transaction around it). Why: on PostgreSQL every statement is a
 * round trip, and a socket write and read per statement were a fifth of the server's CPU on the commit path.
 * Tables without rows are left out; rows whose shape `insertRows` would not cache go one table at a time.
 */
export async function insertRowsTogether(
  owner: ShapeOwner,
  trx: QueryRunner & Builder,
  groups: readonly TableRows[],
): Promise<void> {
  await runInOrder(trx, insertRowsTogetherQueries(owner, trx, groups));
}

/** The statements insertRowsTogether runs (one, or one per table), built with `builder`, without running them. */
export function insertRowsTogetherQueries(
  owner: ShapeOwner,
  builder: Builder,
  groups: readonly TableRows[],
): CompiledQuery<unknown>[] {
  const present = groups.filter((g) => g.rows.length > 0);
  if (present.length <= 1 || !present.every((g) => uniformRows(g.rows))) {
    return present.map((g) => insertRowsQuery(owner, builder, g.table, g.rows));
  }
  const parameters: unknown[] = [];
  const keyParts: string[] = [];
  // Each table's INSERT, built on `qc` (the builder, or a CTE's query creator).
  const inserts: ((qc: Builder) => unknown)[] = [];
  for (const { table, rows } of present) {
    const columns = Object.keys(rows[0]!);
    const arrays = owner.rowArrays?.insertSource(table, columns, rows);
    if (arrays) {
      keyParts.push(`${table}\u0000${columns.join(',')}\u0000arrays`);
      parameters.push(...arrays.parameters);
      inserts.push((qc) => arraysInsert(qc, table, columns, arrays.select));
    } else {
      keyParts.push(`${table}\u0000${columns.join(',')}\u0000${rows.length}`);
      parameters.push(...rowParameters(rows, columns));
      inserts.push((qc) => valuesInsert(qc, table, rows));
    }
  }
  // Parameters come out in the order the statement lists them: the CTEs first, in order, then the final INSERT.
  const compile = () => {
    // biome-ignore lint/suspicious/noExplicitAny: table names and row types are checked by the callers' Tables types.
    let query: any = builder;
    inserts.slice(0, -1).forEach((insert, i) => {
      // biome-ignore lint/suspicious/noExplicitAny: as above.
      query = query.with(`w${i}`, (qc: any) => insert(qc));
    });
    return (inserts[inserts.length - 1]!(query) as Compilable<unknown>).compile();
  };
  return [precompiledQuery(owner, `together\u0000${keyParts.join('\u0001')}`, parameters, compile)];
}

/** Every row has the first row's columns in the same order, each a plain parameter (see insertRows). */
function uniformRows(rows: readonly object[]): boolean {
  const columns = Object.keys(rows[0]!);
  for (const row of rows) {
    const record = row as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length !== columns.length || keys.some((k, i) => k !== columns[i])) return false;
    for (const column of columns) if (!isPlainParameter(record[column])) return false;
  }
  return true;
}

/** The rows' values, row by row in `columns` order: the parameters of their multi-row INSERT. */
function rowParameters(rows: readonly object[], columns: readonly string[]): unknown[] {
  const parameters: unknown[] = [];
  for (const row of rows)
    for (const column of columns) parameters.push((row as Record<string, unknown>)[column]);
  return parameters;
}

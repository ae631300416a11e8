import type { Compilable, CompiledQuery, QueryResult } from 'kysely';
import { createQueryId } from 'kysely';

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
    shapes.set(
      key,
      sameParameters(compiled.parameters, parameters) ? { sql: compiled.sql, query: compiled.query } : null,
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
  owner: object,
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
  owner: object,
  builder: Builder,
  table: string,
  rows: readonly T[],
  variant?: InsertVariant,
): CompiledQuery<unknown> {
  const compile = () => {
    // biome-ignore lint/suspicious/noExplicitAny: the table name and row type are checked by the callers' Tables types.
    const insert = (builder as any).insertInto(table).values(rows);
    return ((variant ? variant.finish(insert) : insert) as Compilable<unknown>).compile();
  };
  if (!uniformRows(rows)) return compile();
  const columns = Object.keys(rows[0]!);
  return precompiledQuery(
    owner,
    `${variant?.name ?? 'insert'}\u0000${table}\u0000${columns.join(',')}\u0000${rows.length}`,
    rowParameters(rows, columns),
    compile,
  );
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
  owner: object,
  trx: QueryRunner & Builder,
  groups: readonly TableRows[],
): Promise<void> {
  await runInOrder(trx, insertRowsTogetherQueries(owner, trx, groups));
}

/** The statements insertRowsTogether runs (one, or one per table), built with `builder`, without running them. */
export function insertRowsTogetherQueries(
  owner: object,
  builder: Builder,
  groups: readonly TableRows[],
): CompiledQuery<unknown>[] {
  const present = groups.filter((g) => g.rows.length > 0);
  if (present.length <= 1 || !present.every((g) => uniformRows(g.rows))) {
    return present.map((g) => insertRowsQuery(owner, builder, g.table, g.rows));
  }
  const parameters: unknown[] = [];
  const keyParts: string[] = [];
  for (const { table, rows } of present) {
    const columns = Object.keys(rows[0]!);
    keyParts.push(`${table}\u0000${columns.join(',')}\u0000${rows.length}`);
    parameters.push(...rowParameters(rows, columns));
  }
  // Parameters come out in the order the statement lists them: the CTEs first, in order, then the final INSERT.
  const compile = () => {
    // biome-ignore lint/suspicious/noExplicitAny: table names and row types are checked by the callers' Tables types.
    let query: any = builder;
    present.slice(0, -1).forEach(({ table, rows }, i) => {
      // biome-ignore lint/suspicious/noExplicitAny: as above.
      query = query.with(`w${i}`, (qc: any) => qc.insertInto(table).values(rows));
    });
    const last = present[present.length - 1]!;
    return (query.insertInto(last.table).values(last.rows) as Compilable<unknown>).compile();
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

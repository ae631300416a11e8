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
  let shapes = shapesByOwner.get(owner);
  if (shapes === undefined) {
    shapes = new Map();
    shapesByOwner.set(owner, shapes);
  }
  const shape = shapes.get(key);
  if (shape) {
    const compiled: CompiledQuery<R> = {
      sql: shape.sql,
      query: shape.query,
      parameters,
      queryId: createQueryId(),
    };
    return trx.executeQuery(compiled);
  }
  const compiled = compile();
  if (shape === undefined && shapes.size < MAX_SHAPES) {
    shapes.set(
      key,
      sameParameters(compiled.parameters, parameters) ? { sql: compiled.sql, query: compiled.query } : null,
    );
  }
  return trx.executeQuery(compiled);
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
  trx: QueryRunner,
  table: string,
  rows: readonly T[],
  variant?: InsertVariant,
): Promise<void> {
  if (rows.length === 0) return;
  const build = () => {
    // biome-ignore lint/suspicious/noExplicitAny: the table name and row type are checked by the callers' Tables types.
    const insert = (trx as any).insertInto(table).values(rows);
    return (variant ? variant.finish(insert) : insert) as Compilable<unknown>;
  };
  const compile = () => build().compile();
  const columns = Object.keys(rows[0]!);
  const parameters: unknown[] = [];
  for (const row of rows) {
    const record = row as Record<string, unknown>;
    const keys = Object.keys(record);
    if (keys.length !== columns.length || keys.some((k, i) => k !== columns[i])) {
      await trx.executeQuery(build());
      return;
    }
    for (const column of columns) {
      const value = record[column];
      if (!isPlainParameter(value)) {
        await trx.executeQuery(build());
        return;
      }
      parameters.push(value);
    }
  }
  await executePrecompiled(
    owner,
    trx,
    `${variant?.name ?? 'insert'}\u0000${table}\u0000${columns.join(',')}\u0000${rows.length}`,
    parameters,
    compile,
  );
}

/** A value Kysely passes through as one parameter (an expression or a list would change the SQL). */
function isPlainParameter(value: unknown): boolean {
  if (value === undefined) return false;
  return typeof value !== 'object' || value === null || value instanceof Uint8Array;
}

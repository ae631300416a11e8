import type { CompiledQuery } from 'kysely';

/** Marks a compiled write as row by row and holds its parameters per row (a symbol: nothing else reads as it). */
const ROW_WIDTH = Symbol('odin.rowWidth');

/**
 * A many-row write (INSERT, UPDATE or DELETE) that the driver runs one row at a time: `sql` takes one row's
 * parameters, and `parameters` holds every row's, one after the other, `width` to a row; the rows it changed add up.
 * Where a statement costs no round trip (SQLite), one prepared single-row statement run n times costs no more than
 * an n-row VALUES list (less past a few dozen rows), and it is one statement text for every row count: a VALUES list
 * is a new text, compiled and prepared anew and kept in the statement caches, for every row count a group commit
 * happens to have (docs/performance.md, twenty-eighth and thirtieth passes). The driver runs the rows as one
 * statement would: all of them or, when one fails, none.
 */
export interface RowByRowQuery extends CompiledQuery<unknown> {
  readonly [ROW_WIDTH]: number;
}

/** `single` (one row's statement) run for every row of `parameters`, `width` parameters to a row. */
export function rowByRow(
  single: CompiledQuery<unknown>,
  parameters: readonly unknown[],
  width: number,
): RowByRowQuery {
  if (width < 1 || parameters.length % width !== 0) {
    throw new Error(`row-by-row INSERT: ${parameters.length} parameters do not make rows of ${width}`);
  }
  return { ...single, parameters, [ROW_WIDTH]: width };
}

/** The parameters per row of a row-by-row query; undefined for any other statement. */
export function rowWidth(query: CompiledQuery<unknown>): number | undefined {
  return (query as Partial<RowByRowQuery>)[ROW_WIDTH];
}

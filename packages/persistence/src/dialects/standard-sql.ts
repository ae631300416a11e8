import { type RawBuilder, sql } from 'kysely';
import type {
  ColumnOf,
  IndexDef,
  Insert,
  NewerRowSpec,
  ParameterType,
  RowsUpdate,
  TableName,
} from './sql-dialect.js';

// The forms PostgreSQL and SQLite share (ON CONFLICT, UPDATE … FROM (VALUES …), CREATE INDEX IF NOT EXISTS).
// MySQL has its own for each (dialects/mysql/).

export function createTableWithIndexes(name: string, body: string, indexes: readonly IndexDef[]): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${name} (\n${body}\n)`,
    ...indexes.map(
      (i) => `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${i.name} ON ${name} (${i.columns})`,
    ),
  ];
}

/** ALTER TABLE … ADD COLUMN IF NOT EXISTS (PostgreSQL; SQLite has no IF NOT EXISTS there, see its dialect). */
export function addColumnIfNotExists(table: string, column: string, definition: string): string[] {
  return [`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${column} ${definition}`];
}

export function createIndexIfNotExists(table: string, index: IndexDef): string[] {
  return [
    `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${index.name} ON ${table} (${index.columns})`,
  ];
}

/** DROP INDEX IF EXISTS (PostgreSQL and SQLite: index names are unique per schema, so the table is not named). */
export function dropIndexIfExists(_table: string, index: string): string[] {
  return [`DROP INDEX IF EXISTS ${index}`];
}

/** The escape character of `likePrefix` patterns: `!` needs no escaping itself in any of the three SQL dialects. */
const LIKE_ESCAPE = '!';

/** `column LIKE 'prefix%' ESCAPE '!'`, the prefix's `%`, `_` and `!` escaped: a case-sensitive prefix test under a binary collation. */
export function likePrefix(column: RawBuilder<unknown>, prefix: string): RawBuilder<boolean> {
  const escaped = prefix.replace(/[!%_]/g, (c) => `${LIKE_ESCAPE}${c}`);
  return sql<boolean>`${column} LIKE ${`${escaped}%`} ESCAPE '${sql.raw(LIKE_ESCAPE)}'`;
}

export function upsertOnConflict<TB extends TableName>(
  insert: Insert<TB>,
  key: readonly ColumnOf<TB>[],
  set: unknown,
): Insert<TB> {
  return insert.onConflict((oc) => oc.columns(key as never).doUpdateSet(set as never));
}

export function upsertIfNewerOnConflict<TB extends TableName>(
  insert: Insert<TB>,
  spec: NewerRowSpec<TB>,
): Insert<TB> {
  return insert.onConflict((oc) =>
    oc
      .columns(spec.key as never)
      .doUpdateSet((eb) => {
        const set: Record<string, unknown> = {};
        for (const c of [...spec.columns, spec.version]) set[c] = eb.ref(`excluded.${c}` as never);
        return set as never;
      })
      .where(`${spec.table}.${spec.version}` as never, '<=', (eb) =>
        eb.ref(`excluded.${spec.version}` as never),
      ),
  );
}

// PostgreSQL aborts the whole transaction on an error, so the conflict is asked not to raise one.
export async function insertIfAbsentOnConflict<TB extends TableName>(
  insert: Insert<TB>,
  key: readonly ColumnOf<TB>[],
): Promise<boolean> {
  const r = await insert.onConflict((oc) => oc.columns(key as never).doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
}

/** How a dialect writes the VALUES list of `updateFromValues`. */
export interface ValuesForm {
  /** One parameter of a row (PostgreSQL casts it: it infers nothing from untyped parameters inside VALUES). */
  parameter(value: unknown, type: ParameterType): RawBuilder<unknown>;
  /** The reference to column `name`, the `index`th (0-based) of the rows. */
  column(name: string, index: number): RawBuilder<unknown>;
  /** The alias of the VALUES list (with its column names where the dialect accepts them). */
  alias(columns: readonly string[]): RawBuilder<unknown>;
}

export function updateFromValues(u: RowsUpdate, form: ValuesForm): RawBuilder<unknown> {
  const names = u.columns.map((c) => c.name);
  const v = (name: string) => form.column(name, names.indexOf(name));
  const tuples = u.rows.map(
    (row) => sql`(${sql.join(row.map((value, i) => form.parameter(value, u.columns[i]!.type)))})`,
  );
  const assignments = u.set(v).map(([column, value]) => sql`${sql.raw(column)} = ${value}`);
  const joined = u.key.map((c) => sql`w.${sql.raw(c)} = ${v(c)}`);
  return sql`UPDATE ${sql.raw(u.table)} AS w SET ${sql.join(assignments)}
    FROM (VALUES ${sql.join(tuples)}) AS ${form.alias(names)}
    WHERE ${sql.join(joined, sql` AND `)} AND ${u.where(v)}`;
}

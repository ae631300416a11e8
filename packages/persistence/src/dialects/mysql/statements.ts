import { type RawBuilder, sql } from 'kysely';
import type {
  ColumnOf,
  ColumnTypeChange,
  IndexDef,
  Insert,
  NewerRowSpec,
  RowsUpdate,
  TableName,
} from '../sql-dialect.js';

const TABLE_OPTIONS = ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin';

/**
 * Indexes are declared inside the CREATE TABLE: MySQL commits each DDL statement on its own, so one statement per
 * table keeps a migration that is interrupted half-way re-runnable. utf8mb4_bin: workflow ids are case-sensitive.
 */
export function createTable(name: string, body: string, indexes: readonly IndexDef[]): string[] {
  const inline = indexes.map((i) => `,\n${i.unique ? 'UNIQUE ' : ''}INDEX ${i.name} (${i.columns})`).join('');
  return [`CREATE TABLE IF NOT EXISTS ${name} (\n${body}${inline}\n)${TABLE_OPTIONS}`];
}

/**
 * MySQL 8 has no ADD COLUMN IF NOT EXISTS (MariaDB has): the statement is built from information_schema and run
 * as a prepared statement, so a migration interrupted half-way (MySQL commits each DDL statement) runs again.
 * Kysely's Migrator runs a non-transactional migration on one connection, which keeps the session variable.
 */
function unlessExists(check: string, ddl: string): string[] {
  return guarded(check, '= 0', ddl);
}

/** `ddl` when the count `check` selects is above zero, else nothing: re-runnable as unlessExists. */
function onlyIfExists(check: string, ddl: string): string[] {
  return guarded(check, '> 0', ddl);
}

function guarded(check: string, condition: '= 0' | '> 0', ddl: string): string[] {
  if (ddl.includes("'")) throw new Error(`DDL with a quote cannot be guarded: ${ddl}`);
  return [
    `SET @odin_ddl = IF((${check}) ${condition}, '${ddl}', 'DO 0')`,
    'PREPARE odin_ddl FROM @odin_ddl',
    'EXECUTE odin_ddl',
    'DEALLOCATE PREPARE odin_ddl',
  ];
}

export function addColumn(table: string, column: string, definition: string): string[] {
  return unlessExists(
    `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = '${table}' AND column_name = '${column}'`,
    `ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`,
  );
}

export function createIndex(table: string, index: IndexDef): string[] {
  return unlessExists(
    indexCount(table, index.name),
    `CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${index.name} ON ${table} (${index.columns})`,
  );
}

export function dropIndex(table: string, index: string): string[] {
  return onlyIfExists(indexCount(table, index), `DROP INDEX ${index} ON ${table}`);
}

function indexCount(table: string, index: string): string {
  return `SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = '${table}' AND index_name = '${index}'`;
}

/**
 * One ALTER TABLE … MODIFY for all the table's columns, so InnoDB copies the table once. MODIFY restates the whole
 * definition (nullability included) and re-running it is harmless, so an interrupted migration can run it again.
 */
export function alterColumnTypes(table: string, changes: readonly ColumnTypeChange[]): string[] {
  const modify = changes.map(
    (c) => `MODIFY COLUMN ${c.column} ${c.type} ${c.nullable ? 'NULL' : 'NOT NULL'}`,
  );
  return [`ALTER TABLE ${table} ${modify.join(', ')}`];
}

export function upsert<TB extends TableName>(insert: Insert<TB>, _key: unknown, set: unknown): Insert<TB> {
  return insert.onDuplicateKeyUpdate(set as never);
}

export function upsertIfNewer<TB extends TableName>(insert: Insert<TB>, spec: NewerRowSpec<TB>): Insert<TB> {
  const version = sql.ref(spec.version);
  const set: Record<string, unknown> = {};
  for (const c of spec.columns) {
    set[c] = sql`IF(${version} <= VALUES(${version}), VALUES(${sql.ref(c)}), ${sql.ref(c)})`;
  }
  // Assigned last: MySQL evaluates SET left to right, and the IF()s above must see the old version.
  set[spec.version] = sql`GREATEST(${version}, VALUES(${version}))`;
  return insert.onDuplicateKeyUpdate(set as never);
}

// InnoDB keeps the transaction alive after a duplicate-key error (only the statement is undone), so the conflict
// is caught rather than avoided.
export async function insertIfAbsent<TB extends TableName>(
  insert: Insert<TB>,
  _key: readonly ColumnOf<TB>[],
  isUniqueViolation: (error: unknown) => boolean,
): Promise<boolean> {
  try {
    await insert.execute();
    return true;
  } catch (error) {
    if (isUniqueViolation(error)) return false;
    throw error;
  }
}

/** A multi-table UPDATE … JOIN on a derived table of the parameter rows (SELECT … UNION ALL SELECT …). */
export function updateFromRows(u: RowsUpdate): RawBuilder<unknown> {
  const selects = u.rows.map((row, i) => {
    const cells = row.map((value, c) =>
      i === 0 ? sql`${value} AS ${sql.raw(u.columns[c]!.name)}` : sql`${value}`,
    );
    return sql`SELECT ${sql.join(cells)}`;
  });
  const v = (c: string) => sql.raw(`v.${c}`);
  const joined = u.key.map((c) => sql`w.${sql.raw(c)} = ${v(c)}`);
  const assignments = u.set(v).map(([column, value]) => sql`w.${sql.raw(column)} = ${value}`);
  return sql`UPDATE ${sql.raw(u.table)} w
    JOIN (${sql.join(selects, sql` UNION ALL `)}) v ON ${sql.join(joined, sql` AND `)}
    SET ${sql.join(assignments)}
    WHERE ${u.where(v)}`;
}

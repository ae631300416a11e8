import type { KeyedTable } from '../sql-dialect.js';

/**
 * SQLite cannot change a table into WITHOUT ROWID in place: the table is rebuilt as its documentation's
 * "other kinds of table schema changes" describe. A new table is created, every row copied into it by column
 * name, the old table dropped (its indexes with it), the new one renamed to the old name, and the indexes created
 * again. It runs inside the migration's one transaction (migrate.ts), so a failure leaves the old table as it was;
 * foreign keys are off on Odin's connections and no trigger or view refers to these tables.
 */
export function rebuildWithoutRowid(table: KeyedTable): string[] {
  const building = `odin_rebuild_${table.name}`;
  const names = table.columns.map((column) => column.trim().split(/\s+/)[0]).join(', ');
  return [
    `CREATE TABLE ${building} (\n${table.columns.join(',\n')},\nPRIMARY KEY (${table.primaryKey})\n) WITHOUT ROWID`,
    `INSERT INTO ${building} (${names}) SELECT ${names} FROM ${table.name}`,
    `DROP TABLE ${table.name}`,
    `ALTER TABLE ${building} RENAME TO ${table.name}`,
    ...table.indexes.map(
      (i) => `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX ${i.name} ON ${table.name} (${i.columns})`,
    ),
  ];
}

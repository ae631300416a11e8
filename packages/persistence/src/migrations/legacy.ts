import type { Kysely } from 'kysely';
import type { SqlDialect } from '../dialects/sql-dialect.js';
import type { Tables } from '../tables.js';
import { type Bookkeeping, MIGRATION_TABLE } from './bookkeeping.js';
import { MIGRATIONS } from './list.js';

/**
 * Databases migrated before Kysely's Migrator recorded each applied version as a row of schema_version. Before
 * Migrator runs on such a database, every version recorded there is written into Migrator's table under its
 * migration name, with the time it was applied, so Migrator does not apply it again. schema_version is left as it
 * is (nothing writes it any more; the version is still read from it until it has been adopted).
 *
 * Runs outside Migrator's lock (Migrator offers no hook inside it), so it is idempotent and safe to race: a row
 * another migrator adopted first is a duplicate key, which is ignored. Either way the rows are in place before
 * this process's Migrator reads them under its lock. The caller has refused versions newer than this build.
 */
export async function adoptLegacyBookkeeping(
  db: Kysely<Tables>,
  dialect: SqlDialect,
  book: Bookkeeping,
): Promise<void> {
  const pending = book.legacy.filter((row) => !book.applied.includes(nameOf(row.version)));
  if (pending.length === 0) return;
  await createMigrationTable(db, dialect);
  for (const row of pending) {
    try {
      await db
        .insertInto('schema_migrations')
        .values({ name: nameOf(row.version), timestamp: new Date(row.applied_at).toISOString() })
        .execute();
    } catch (error) {
      if (!dialect.isUniqueViolation(error)) throw error;
    }
  }
}

function nameOf(version: number): string {
  const migration = MIGRATIONS.find((m) => m.version === version);
  if (migration === undefined)
    throw new Error(`schema_version names version ${version}, which no migration has`);
  return migration.name;
}

/**
 * Migrator's own table, with the columns Migrator creates it with (name primary key, ISO timestamp), so that
 * Migrator finds it in place. PostgreSQL may fail a CREATE TABLE IF NOT EXISTS that races another with a
 * duplicate key on its catalog; the table then exists.
 */
async function createMigrationTable(db: Kysely<Tables>, dialect: SqlDialect): Promise<void> {
  try {
    await db.schema
      .createTable(MIGRATION_TABLE)
      .ifNotExists()
      .addColumn('name', 'varchar(255)', (col) => col.notNull().primaryKey())
      .addColumn('timestamp', 'varchar(255)', (col) => col.notNull())
      .execute();
  } catch (error) {
    if (!dialect.isUniqueViolation(error)) throw error;
  }
}

import { type Kysely, type Migration, Migrator, sql } from 'kysely';
import { SchemaTooNewError } from '../contract.js';
import type { SqlDialect } from '../dialects/sql-dialect.js';
import type { Tables } from '../tables.js';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, readBookkeeping, versionOf } from './bookkeeping.js';
import { adoptLegacyBookkeeping } from './legacy.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, versionOfMigration } from './list.js';

export interface MigrationOutcome {
  from: number;
  to: number;
  applied: number[];
}

/** The version the database is at: 0 when it has never been migrated. */
export async function readSchemaVersion(db: Kysely<Tables>): Promise<number> {
  return versionOf(await readBookkeeping(db));
}

/**
 * Applies every migration newer than the database with Kysely's Migrator, which records each by name in
 * schema_migrations, applies them in name order and never twice, and serialises concurrent migrators: PostgreSQL
 * `pg_advisory_lock`, MySQL `GET_LOCK`, and on SQLite one BEGIN IMMEDIATE transaction for the whole run (the write
 * lock; the dialect declares SQLite's DDL transactional for that). PostgreSQL and SQLite apply the pending
 * migrations in one transaction; MySQL commits DDL as it goes, so its statements are idempotent and an interrupted
 * run is finished by running it again.
 *
 * On top of Migrator, because it cannot do these: a database newer than this build is refused with
 * SchemaTooNewError (Migrator's own refusal, of applied migrations it does not know, is an untyped error), before
 * it runs and again if a newer build migrated in between; and the bookkeeping of databases migrated before
 * Migrator is adopted first (legacy.ts). `upTo` stops at an older version (tests of a migration over existing rows).
 */
export async function migrate(
  db: Kysely<Tables>,
  dialect: SqlDialect,
  upTo: number = LATEST_SCHEMA_VERSION,
): Promise<MigrationOutcome> {
  const book = await readBookkeeping(db);
  const from = versionOf(book);
  if (from > LATEST_SCHEMA_VERSION) throw new SchemaTooNewError(from, LATEST_SCHEMA_VERSION);
  await adoptLegacyBookkeeping(db, dialect, book);
  const target = MIGRATIONS.find((m) => m.version === upTo);
  if (target === undefined) throw new RangeError(`no migration has version ${upTo}`);
  const { error, results = [] } = await migrator(db, dialect).migrateTo(target.name);
  if (error !== undefined) {
    const now = await readSchemaVersion(db).catch(() => 0);
    if (now > LATEST_SCHEMA_VERSION) throw new SchemaTooNewError(now, LATEST_SCHEMA_VERSION);
    throw error;
  }
  const applied = results
    .filter((r) => r.status === 'Success')
    .map((r) => versionOfMigration(r.migrationName));
  return { from, to: Math.max(from, upTo), applied };
}

function migrator(db: Kysely<Tables>, dialect: SqlDialect): Migrator {
  const migrations: Record<string, Migration> = {};
  for (const m of MIGRATIONS) {
    migrations[m.name] = {
      up: async (trx) => {
        for (const statement of m.statements(dialect)) await sql.raw(statement).execute(trx);
      },
    };
  }
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

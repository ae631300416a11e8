// A database as the migration runner before Kysely's Migrator left it: the version-1 schema, and its bookkeeping
// in schema_version (version, description, applied_at), created with that runner's own DDL.
import { sql } from 'kysely';
import { parseConnectionUrl } from '../../src/connection-url.js';
import type { DialectName } from '../../src/contract.js';
import { openDatabase } from '../../src/database.js';
import { MIGRATIONS } from '../../src/migrations/list.js';

const LEGACY_SCHEMA_VERSION_DDL: Record<DialectName, string> = {
  postgres:
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, description VARCHAR(255) NOT NULL, applied_at BIGINT NOT NULL)',
  mysql:
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, description VARCHAR(255) NOT NULL, applied_at BIGINT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin',
  sqlite:
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, description VARCHAR(255) NOT NULL, applied_at INTEGER NOT NULL)',
};

/** Migrates the empty database at `url` to version 1 the way the former runner did, stamped `appliedAt`. */
export async function createLegacyDatabase(url: string, appliedAt: number): Promise<void> {
  const { db, dialect } = await openDatabase(parseConnectionUrl(url), { poolSize: 1 });
  try {
    await sql.raw(LEGACY_SCHEMA_VERSION_DDL[dialect.name]).execute(db);
    // The former runner applied the same version-1 statements (migrations/initial-schema.ts is unchanged).
    for (const statement of MIGRATIONS[0]!.statements(dialect)) await sql.raw(statement).execute(db);
    await db
      .insertInto('schema_version')
      .values({ version: 1, description: 'initial schema', applied_at: appliedAt })
      .execute();
  } finally {
    await db.destroy();
  }
}

/** Adds a row to the former bookkeeping, as if a build that never shipped had applied `version`. */
export async function recordLegacyVersion(url: string, version: number, appliedAt: number): Promise<void> {
  const { db } = await openDatabase(parseConnectionUrl(url), { poolSize: 1 });
  try {
    await db
      .insertInto('schema_version')
      .values({ version, description: 'from the future', applied_at: appliedAt })
      .execute();
  } finally {
    await db.destroy();
  }
}

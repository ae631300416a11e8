import type { Kysely } from 'kysely';
import type { Tables } from '../tables.js';
import { versionOfMigration } from './list.js';

/** Kysely Migrator's record of applied migrations, and its lock table (unused by the adapters Odin runs on). */
export const MIGRATION_TABLE = 'schema_migrations';
export const MIGRATION_LOCK_TABLE = 'schema_migrations_lock';
/** The record of databases migrated before Migrator: (version, description, applied_at), read and adopted. */
export const LEGACY_TABLE = 'schema_version';

/** What a database says it has applied: migration names, and the versions of the former bookkeeping. */
export interface Bookkeeping {
  /** Names in schema_migrations; empty when the table does not exist. */
  applied: string[];
  /** Rows of schema_version; empty when the table does not exist. */
  legacy: { version: number; applied_at: number }[];
}

export async function readBookkeeping(db: Kysely<Tables>): Promise<Bookkeeping> {
  const tables = new Set(
    (await db.introspection.getTables({ withInternalKyselyTables: true })).map((t) => t.name),
  );
  const applied = tables.has(MIGRATION_TABLE)
    ? (await db.selectFrom('schema_migrations').select('name').execute()).map((r) => r.name)
    : [];
  const legacy = tables.has(LEGACY_TABLE)
    ? (
        await db.selectFrom('schema_version').select(['version', 'applied_at']).orderBy('version').execute()
      ).map((r) => ({ version: Number(r.version), applied_at: Number(r.applied_at) }))
    : [];
  return { applied, legacy };
}

/** The version the database is at: the newest applied under either bookkeeping, 0 when never migrated. */
export function versionOf(book: Bookkeeping): number {
  return Math.max(0, ...book.applied.map(versionOfMigration), ...book.legacy.map((r) => r.version));
}

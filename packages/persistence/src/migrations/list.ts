import type { SqlDialect } from '../dialects/sql-dialect.js';
import { batchOperationsSchema } from './batch-operations.js';
import { initialSchema } from './initial-schema.js';
import { longIdsSchema } from './long-ids.js';
import { namespaceDataKeysSchema } from './namespace-data-keys.js';
import { rowsInPrimaryKeysSchema } from './rows-in-primary-keys.js';
import { schedulesSchema } from './schedules.js';
import { searchAttributesSchema } from './search-attributes.js';
import { unreadShardIndexesSchema } from './unread-shard-indexes.js';

export interface SchemaMigration {
  version: number;
  /**
   * The key Kysely's Migrator records it under (schema_migrations.name), applied in name order: the version
   * zero-padded to four digits, then what it does. Never renamed once shipped.
   */
  name: string;
  statements(dialect: SqlDialect): string[];
}

/** Forward-only, append-only: never edit or rename a shipped migration; add the next version. */
export const MIGRATIONS: readonly SchemaMigration[] = [
  { version: 1, name: '0001_initial_schema', statements: initialSchema },
  { version: 2, name: '0002_search_attributes', statements: searchAttributesSchema },
  { version: 3, name: '0003_namespace_data_keys', statements: namespaceDataKeysSchema },
  { version: 4, name: '0004_schedules', statements: schedulesSchema },
  { version: 5, name: '0005_batch_operations', statements: batchOperationsSchema },
  { version: 6, name: '0006_long_ids', statements: longIdsSchema },
  { version: 7, name: '0007_rows_in_primary_keys', statements: rowsInPrimaryKeysSchema },
  { version: 8, name: '0008_unread_shard_indexes', statements: unreadShardIndexesSchema },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** The version a recorded migration name stands for (its leading digits); 0 for a name that has none. */
export function versionOfMigration(name: string): number {
  const digits = /^\d+/.exec(name);
  return digits === null ? 0 : Number(digits[0]);
}

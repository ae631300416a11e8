import type { SqlDialect } from '../dialects/sql-dialect.js';

const ID = 'VARCHAR(128)';

/**
 * Version 3: encryption at rest (docs/security.md, "Encryption at rest"). namespace_data_keys holds every version of
 * each namespace's data key, wrapped by a key-encryption key (kek_id names which); blobs name the version that sealed
 * them in their own header, so no other table changes. Shipped: never edit it; a change is the next migration.
 */
export function namespaceDataKeysSchema(dialect: SqlDialect): string[] {
  const t = dialect.columnTypes;
  return dialect.createTable(
    'namespace_data_keys',
    `namespace_id ${ID} NOT NULL, version ${t.int} NOT NULL, kek_id ${ID} NOT NULL, wrapped_key ${t.blob} NOT NULL,
     created_at ${t.bigint} NOT NULL, PRIMARY KEY (namespace_id, version)`,
    [],
  );
}

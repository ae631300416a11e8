export * from './contract.js';
export { DB_CONNECTION_ENV, parseConnectionUrl, redactConnectionUrl } from './connection-url.js';
export type { ConnectionTarget } from './connection-url.js';
export { DEFAULT_POOL_SIZE } from './database.js';
export { LATEST_SCHEMA_VERSION } from './migrations/list.js';
export type { MigrationOutcome } from './migrations/migrate.js';
export { NAMESPACE_CACHE_MAX_ENTRIES, NAMESPACE_CACHE_TTL_MS, NamespaceCache } from './namespace-cache.js';
export type { NamespaceCacheOptions } from './namespace-cache.js';
export { connectionUrlFromEnv, migrateDatabase, openStore } from './open-store.js';
export type { OpenStoreConfig } from './open-store.js';
export { taskQueueRangeHash } from './range-hash.js';
export { createDatabaseIfMissing, dropDatabase } from './database-admin.js';
export { CLOSE_ORDER_OPEN } from './visibility/close-order.js';
export { nanosToMicros, parseRfc3339Nanos } from './visibility/datetime.js';
export * from './visibility/definitions.js';
export * from './visibility/payloads.js';
export {
  SEARCH_ATTRIBUTE_CACHE_TTL_MS,
  SearchAttributeRegistry,
  type SearchAttributeTypes,
} from './visibility/registry.js';
export { textTokens } from './visibility/text-tokens.js';
export { DATA_KEY_REFRESH_INTERVAL_MS } from './encryption/data-key-ring.js';
export { isSealed, SEALED_OVERHEAD_BYTES, sealedKeyVersion } from './encryption/envelope.js';
export {
  EncryptionKeyUnavailableError,
  KeyProviderConfigError,
  UndecryptableDataError,
} from './encryption/errors.js';
export {
  type KeyProvider,
  type KeySource,
  LocalKeyProvider,
  loadKeyProvider,
  parseKeyEncryptionKeys,
} from './encryption/key-provider.js';
export { SEALED_BLOB_COLUMNS, type ReencryptReport } from './encryption/reencrypt.js';
export { type RotateKeyOptions, type RotateKeyReport, rotateNamespaceKey } from './encryption/rotate-key.js';
export type { EncryptionConfig } from './open-store.js';
export { openDatabase } from './database.js';

import { type Clock, SystemClock } from '@odin/hugo';
import type { Kysely } from 'kysely';
import { DB_CONNECTION_ENV, parseConnectionUrl } from './connection-url.js';
import {
  type DialectName,
  InvalidConnectionUrlError,
  type PersistenceLimits,
  type PersistenceStore,
  SchemaTooNewError,
  SchemaTooOldError,
  type StoreConfig,
} from './contract.js';
import { DEFAULT_POOL_SIZE, openDatabase } from './database.js';
import { BlobCodec } from './encryption/blob-codec.js';
import { DataKeyRing } from './encryption/data-key-ring.js';
import { EncryptedStore } from './encryption/encrypted-store.js';
import type { KeyProvider } from './encryption/key-provider.js';
import { resolveLimits } from './limits.js';
import { LATEST_SCHEMA_VERSION } from './migrations/list.js';
import { type MigrationOutcome, migrate, readSchemaVersion } from './migrations/migrate.js';
import type { RowArrays, SqlDialect } from './dialects/sql-dialect.js';
import type { StoreContext } from './stores/context.js';
import { SqlExecutionStore } from './stores/executions.js';
import { SqlHistoryStore } from './stores/history.js';
import { SqlMatchingStore } from './stores/matching.js';
import { SqlMembershipStore } from './stores/membership.js';
import { SqlNamespaceStore } from './stores/namespaces.js';
import { SqlOutboxStore } from './stores/outbox.js';
import { SqlRetentionStore } from './stores/retention.js';
import { SqlDataKeyStore } from './stores/data-keys.js';
import { SqlClusterStore, SqlShardStore } from './stores/shards.js';
import { SqlBatchOperationStore } from './stores/batch-operations.js';
import { SqlScheduleStore } from './stores/schedules.js';
import { SqlSearchAttributeStore } from './stores/search-attributes.js';
import { SqlVisibilityStore } from './stores/visibility.js';
import type { Tables } from './tables.js';

class SqlPersistenceStore implements PersistenceStore {
  readonly cluster;
  readonly shards;
  readonly executions;
  readonly history;
  readonly outbox;
  readonly matching;
  readonly visibility;
  readonly searchAttributes;
  readonly schedules;
  readonly batchOperations;
  readonly retention;
  readonly namespaces;
  readonly membership;
  #closed = false;

  constructor(private readonly ctx: StoreContext) {
    this.cluster = new SqlClusterStore(ctx);
    this.shards = new SqlShardStore(ctx);
    this.executions = new SqlExecutionStore(ctx);
    this.history = new SqlHistoryStore(ctx);
    this.outbox = new SqlOutboxStore(ctx);
    this.matching = new SqlMatchingStore(ctx);
    this.visibility = new SqlVisibilityStore(ctx);
    this.searchAttributes = new SqlSearchAttributeStore(ctx);
    this.schedules = new SqlScheduleStore(ctx);
    this.batchOperations = new SqlBatchOperationStore(ctx);
    this.retention = new SqlRetentionStore(ctx);
    this.namespaces = new SqlNamespaceStore(ctx);
    this.membership = new SqlMembershipStore(ctx);
  }

  get dialect(): DialectName {
    return this.ctx.dialect.name;
  }

  get limits(): PersistenceLimits {
    return this.ctx.limits;
  }

  schemaVersion(): Promise<number> {
    return readSchemaVersion(this.ctx.db);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.ctx.db.destroy();
  }
}

export interface EncryptionConfig {
  /** Where the key-encryption keys come from; undefined = encryption off (sealed rows then fail to read). */
  readonly provider: KeyProvider | undefined;
  /** How often a newer data-key version of a namespace is looked for (DATA_KEY_REFRESH_INTERVAL_MS). */
  readonly refreshIntervalMs?: number;
}

export interface OpenStoreConfig extends StoreConfig {
  /** Times data keys are created at and refreshed by; default the system clock. */
  clock?: Clock;
  /** Encryption at rest (docs/security.md); off when absent. */
  encryption?: EncryptionConfig;
}

function poolSizeOf(config: StoreConfig): number {
  const size = config.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isSafeInteger(size) || size < 1 || size > 1000) {
    throw new RangeError(`poolSize must be an integer in 1..1000, got ${size}`);
  }
  return size;
}

/**
 * Opens the database named by `config.url`, checks its schema version (SchemaTooNewError when newer than this
 * build; SchemaTooOldError when older and `migrate` is off, else migrates) and returns the store.
 */
export async function openStore(config: OpenStoreConfig): Promise<PersistenceStore> {
  const ctx = await openStoreContext(config);
  const store = new SqlPersistenceStore(ctx);
  // Always in place, also with encryption off: a sealed row must then fail clearly, never reach the engine.
  return new EncryptedStore(store, codecFor(ctx, config));
}

/** The codec of a store's blobs: the data keys in its database, unwrapped by the configured provider. */
export function codecFor(ctx: StoreContext, config: OpenStoreConfig): BlobCodec {
  return new BlobCodec(
    new DataKeyRing(new SqlDataKeyStore(ctx), {
      provider: config.encryption?.provider,
      clock: config.clock ?? new SystemClock(),
      ...(config.encryption?.refreshIntervalMs === undefined
        ? {}
        : { refreshIntervalMs: config.encryption.refreshIntervalMs }),
    }),
  );
}

/** Opens the database and checks (or migrates) its schema: what every sub-store is built on. */
export async function openStoreContext(config: OpenStoreConfig): Promise<StoreContext> {
  const target = parseConnectionUrl(config.url);
  const limits = resolveLimits(config.limits);
  const { db, dialect, pipeline } = await openDatabase(target, {
    poolSize: poolSizeOf(config),
    preparedStatements: config.preparedStatements ?? true,
  });
  let rowArrays: RowArrays | undefined;
  try {
    await ensureSchema(db, dialect, config.migrate ?? false);
    // Read after the migrations: the statements built from it write the current schema's columns.
    rowArrays = await dialect.readRowArrays?.(db);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw error;
  }
  return { db, dialect, limits, ...(pipeline ? { pipeline } : {}), ...(rowArrays ? { rowArrays } : {}) };
}

async function ensureSchema(db: Kysely<Tables>, dialect: SqlDialect, apply: boolean): Promise<void> {
  const version = await readSchemaVersion(db);
  if (version > LATEST_SCHEMA_VERSION) throw new SchemaTooNewError(version, LATEST_SCHEMA_VERSION);
  if (version === LATEST_SCHEMA_VERSION) return;
  if (!apply) throw new SchemaTooOldError(version, LATEST_SCHEMA_VERSION);
  await migrate(db, dialect);
}

/** Applies pending migrations to the database at `url` (the `migrate` command). Idempotent. */
export async function migrateDatabase(url: string): Promise<MigrationOutcome> {
  const target = parseConnectionUrl(url);
  const { db, dialect } = await openDatabase(target, { poolSize: 1, preparedStatements: false });
  try {
    return await migrate(db, dialect);
  } finally {
    await db.destroy();
  }
}

/** The connection URL from HUGO_ORCHESTRATOR_DB_CONNECTION, or a clear error when it is unset. */
export function connectionUrlFromEnv(env: Record<string, string | undefined> = process.env): string {
  const url = env[DB_CONNECTION_ENV];
  if (url === undefined || url.trim() === '') {
    throw new InvalidConnectionUrlError(
      `${DB_CONNECTION_ENV} is not set: set it to postgres://…, mysql://… or sqlite:/path/odin.db`,
    );
  }
  return url;
}

import { type Kysely, sql } from 'kysely';
import { SchemaTooNewError } from './contract.js';
import type { DialectName } from './contract.js';
import type { Tables } from './tables.js';

/** Column types per dialect; the DDL below is written once against these names. */
interface TypeMap {
  bigint: string;
  int: string;
  blob: string;
  json: string;
  text: string;
  /** Table suffix (engine and collation on MySQL: workflow ids are case-sensitive). */
  tableSuffix: string;
}

const TYPES: Record<DialectName, TypeMap> = {
  postgres: { bigint: 'BIGINT', int: 'INTEGER', blob: 'BYTEA', json: 'JSONB', text: 'TEXT', tableSuffix: '' },
  mysql: {
    bigint: 'BIGINT',
    int: 'INTEGER',
    blob: 'LONGBLOB',
    json: 'LONGTEXT',
    text: 'TEXT',
    tableSuffix: ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin',
  },
  sqlite: { bigint: 'INTEGER', int: 'INTEGER', blob: 'BLOB', json: 'TEXT', text: 'TEXT', tableSuffix: '' },
};

// Ids (namespace ids, run ids, host ids, request ids) and names share sizes chosen for MySQL's 3072-byte index keys.
const ID = 'VARCHAR(128)';
const NAME = 'VARCHAR(255)';

export interface Migration {
  version: number;
  description: string;
  statements(dialect: DialectName): string[];
}

interface IndexDef {
  name: string;
  columns: string;
  unique?: boolean;
}

/**
 * Every statement is idempotent (IF NOT EXISTS) and MySQL indexes are declared inside their CREATE TABLE, so a
 * migration interrupted half-way on MySQL (where DDL commits implicitly) can simply be run again.
 */
function createTable(dialect: DialectName, name: string, body: string, indexes: IndexDef[] = []): string[] {
  const t = TYPES[dialect];
  if (dialect === 'mysql') {
    const inline = indexes
      .map((i) => `,\n${i.unique ? 'UNIQUE ' : ''}INDEX ${i.name} (${i.columns})`)
      .join('');
    return [`CREATE TABLE IF NOT EXISTS ${name} (\n${body}${inline}\n)${t.tableSuffix}`];
  }
  return [
    `CREATE TABLE IF NOT EXISTS ${name} (\n${body}\n)`,
    ...indexes.map(
      (i) => `CREATE ${i.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${i.name} ON ${name} (${i.columns})`,
    ),
  ];
}

function v1(dialect: DialectName): string[] {
  const t = TYPES[dialect];
  const B = t.bigint;
  const I = t.int;
  const table = (name: string, body: string, indexes?: IndexDef[]) =>
    createTable(dialect, name, body, indexes);
  const immediateTasks = (name: string) =>
    table(
      name,
      `shard_id ${I} NOT NULL, task_id ${B} NOT NULL, fire_time ${B} NOT NULL,
       namespace_id ${ID} NOT NULL, workflow_id ${NAME} NOT NULL, run_id ${ID} NOT NULL,
       task_type VARCHAR(64) NOT NULL, data ${t.blob} NOT NULL,
       PRIMARY KEY (shard_id, task_id)`,
    );
  return [
    ...table(
      'cluster_metadata',
      `cluster_name ${NAME} NOT NULL PRIMARY KEY, shard_count ${I} NOT NULL, created_at ${B} NOT NULL`,
    ),
    ...table(
      'cluster_membership',
      `host_id ${ID} NOT NULL PRIMARY KEY, role VARCHAR(64) NOT NULL, rpc_address ${NAME} NOT NULL,
       session_start ${B} NOT NULL, last_heartbeat ${B} NOT NULL, record_expiry ${B} NOT NULL`,
      [
        { name: 'cluster_membership_role_heartbeat', columns: 'role, last_heartbeat' },
        { name: 'cluster_membership_expiry', columns: 'record_expiry' },
      ],
    ),
    ...table(
      'namespaces',
      `id ${ID} NOT NULL PRIMARY KEY, name ${NAME} NOT NULL, state ${I} NOT NULL, description ${t.text} NOT NULL,
       owner_email ${NAME} NOT NULL, retention_ms ${B} NOT NULL, data ${t.blob} NULL, version ${B} NOT NULL,
       created_at ${B} NOT NULL, updated_at ${B} NOT NULL`,
      [{ name: 'namespaces_name', columns: 'name', unique: true }],
    ),
    ...table(
      'history_shards',
      `shard_id ${I} NOT NULL PRIMARY KEY, range_id ${B} NOT NULL, owner_host_id ${ID} NOT NULL,
       lease_expires_at ${B} NOT NULL, updated_at ${B} NOT NULL`,
    ),
    ...table(
      'workflow_executions',
      `namespace_id ${ID} NOT NULL, workflow_id ${NAME} NOT NULL, run_id ${ID} NOT NULL, shard_id ${I} NOT NULL,
       status ${I} NOT NULL, next_event_id ${B} NOT NULL, db_version ${B} NOT NULL, history_bytes ${B} NOT NULL,
       state ${t.blob} NOT NULL, start_time ${B} NOT NULL, close_time ${B} NULL, updated_at ${B} NOT NULL,
       PRIMARY KEY (namespace_id, workflow_id, run_id)`,
      [
        { name: 'workflow_executions_shard', columns: 'shard_id' },
        { name: 'workflow_executions_retention', columns: 'namespace_id, close_time' },
      ],
    ),
    ...table(
      'current_executions',
      `namespace_id ${ID} NOT NULL, workflow_id ${NAME} NOT NULL, run_id ${ID} NOT NULL, shard_id ${I} NOT NULL,
       create_request_id ${ID} NOT NULL, status ${I} NOT NULL, start_time ${B} NOT NULL, close_time ${B} NULL,
       PRIMARY KEY (namespace_id, workflow_id)`,
    ),
    ...table(
      'history_events',
      `namespace_id ${ID} NOT NULL, workflow_id ${NAME} NOT NULL, run_id ${ID} NOT NULL, event_id ${B} NOT NULL,
       shard_id ${I} NOT NULL, data ${t.blob} NOT NULL,
       PRIMARY KEY (namespace_id, workflow_id, run_id, event_id)`,
      [{ name: 'history_events_shard_workflow', columns: 'shard_id, namespace_id, workflow_id' }],
    ),
    ...immediateTasks('transfer_tasks'),
    ...immediateTasks('visibility_tasks'),
    ...table(
      'timer_tasks',
      `shard_id ${I} NOT NULL, fire_time ${B} NOT NULL, task_id ${B} NOT NULL,
       namespace_id ${ID} NOT NULL, workflow_id ${NAME} NOT NULL, run_id ${ID} NOT NULL,
       task_type VARCHAR(64) NOT NULL, data ${t.blob} NOT NULL,
       PRIMARY KEY (shard_id, fire_time, task_id)`,
    ),
    ...table(
      'task_queues',
      `range_hash ${B} NOT NULL, namespace_id ${ID} NOT NULL, name ${NAME} NOT NULL, type ${I} NOT NULL,
       range_id ${B} NOT NULL, ack_level ${B} NOT NULL, updated_at ${B} NOT NULL,
       PRIMARY KEY (range_hash, namespace_id, name, type)`,
    ),
    ...table(
      'matching_tasks',
      `range_hash ${B} NOT NULL, namespace_id ${ID} NOT NULL, task_queue_name ${NAME} NOT NULL,
       task_queue_type ${I} NOT NULL, task_id ${B} NOT NULL, data ${t.blob} NOT NULL, expires_at ${B} NULL,
       created_at ${B} NOT NULL,
       PRIMARY KEY (range_hash, namespace_id, task_queue_name, task_queue_type, task_id)`,
    ),
    ...table(
      'visibility_records',
      `namespace_id ${ID} NOT NULL, run_id ${ID} NOT NULL, workflow_id ${NAME} NOT NULL,
       workflow_type ${NAME} NOT NULL, status ${I} NOT NULL, start_time ${B} NOT NULL,
       execution_time ${B} NOT NULL, close_time ${B} NULL, task_queue ${NAME} NOT NULL,
       history_length ${B} NOT NULL, memo ${t.blob} NULL, search_attributes ${t.json} NULL,
       parent_workflow_id ${NAME} NULL, parent_run_id ${ID} NULL, state_version ${B} NOT NULL,
       PRIMARY KEY (namespace_id, run_id)`,
      [
        { name: 'visibility_by_start', columns: 'namespace_id, start_time, run_id' },
        { name: 'visibility_by_status', columns: 'namespace_id, status, start_time, run_id' },
        { name: 'visibility_by_workflow_id', columns: 'namespace_id, workflow_id, start_time' },
        { name: 'visibility_by_type', columns: 'namespace_id, workflow_type, start_time, run_id' },
        { name: 'visibility_by_close', columns: 'namespace_id, close_time' },
      ],
    ),
  ];
}

/** Forward-only, append-only: never edit a shipped migration; add the next version. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'initial schema', statements: v1 },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

const SCHEMA_VERSION_DDL: Record<DialectName, string> = {
  postgres:
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, description VARCHAR(255) NOT NULL, applied_at BIGINT NOT NULL)',
  mysql:
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, description VARCHAR(255) NOT NULL, applied_at BIGINT NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin',
  sqlite:
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, description VARCHAR(255) NOT NULL, applied_at INTEGER NOT NULL)',
};

/** The version the database is at: 0 when it has never been migrated. */
export async function readSchemaVersion(db: Kysely<Tables>, dialect: DialectName): Promise<number> {
  const exists = await schemaVersionTableExists(db, dialect);
  if (!exists) return 0;
  const row = await db
    .selectFrom('schema_version')
    .select((eb) => eb.fn.max('version').as('v'))
    .executeTakeFirst();
  return row?.v == null ? 0 : Number(row.v);
}

async function schemaVersionTableExists(db: Kysely<Tables>, dialect: DialectName): Promise<boolean> {
  if (dialect === 'sqlite') {
    const r = await sql<{
      n: number;
    }>`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`.execute(db);
    return Number(r.rows[0]?.n ?? 0) > 0;
  }
  if (dialect === 'postgres') {
    const r = await sql<{ n: string }>`SELECT to_regclass('schema_version') IS NOT NULL AS n`.execute(db);
    return Boolean(r.rows[0]?.n);
  }
  const r = await sql<{
    n: number;
  }>`SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'schema_version'`.execute(
    db,
  );
  return Number(r.rows[0]?.n ?? 0) > 0;
}

export interface MigrationOutcome {
  from: number;
  to: number;
  applied: number[];
}

/**
 * Applies every migration newer than the database, one at a time, each recorded in schema_version. Serialised
 * across processes by an advisory lock (PostgreSQL, MySQL) or the SQLite write lock; a second run is a no-op.
 */
export async function migrate(
  db: Kysely<Tables>,
  dialect: DialectName,
  now: number,
): Promise<MigrationOutcome> {
  return db.connection().execute(async (conn) => {
    await lock(conn, dialect);
    try {
      await sql.raw(SCHEMA_VERSION_DDL[dialect]).execute(conn);
      const from = await readSchemaVersion(conn, dialect);
      if (from > LATEST_SCHEMA_VERSION) throw new SchemaTooNewError(from, LATEST_SCHEMA_VERSION);
      const applied: number[] = [];
      for (const m of MIGRATIONS) {
        if (m.version <= from) continue;
        await applyOne(conn, dialect, m, now);
        applied.push(m.version);
      }
      return { from, to: Math.max(from, LATEST_SCHEMA_VERSION), applied };
    } finally {
      await unlock(conn, dialect);
    }
  });
}

async function applyOne(db: Kysely<Tables>, dialect: DialectName, m: Migration, now: number): Promise<void> {
  // PostgreSQL and SQLite run DDL transactionally, so a failed migration leaves nothing behind. MySQL commits each
  // DDL statement implicitly; its statements are idempotent, so re-running after a crash completes the migration.
  const run = async (exec: Kysely<Tables>) => {
    for (const statement of m.statements(dialect)) await sql.raw(statement).execute(exec);
    await exec
      .insertInto('schema_version')
      .values({ version: m.version, description: m.description, applied_at: now })
      .execute();
  };
  if (dialect === 'mysql') await run(db);
  else await db.transaction().execute(run);
}

async function lock(db: Kysely<Tables>, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') await sql`SELECT pg_advisory_lock(7233001)`.execute(db);
  else if (dialect === 'mysql') await sql`SELECT GET_LOCK('odin_schema_migrate', 120)`.execute(db);
}

async function unlock(db: Kysely<Tables>, dialect: DialectName): Promise<void> {
  if (dialect === 'postgres') await sql`SELECT pg_advisory_unlock(7233001)`.execute(db);
  else if (dialect === 'mysql') await sql`SELECT RELEASE_LOCK('odin_schema_migrate')`.execute(db);
}

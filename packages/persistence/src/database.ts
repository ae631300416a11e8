import Database from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, CompiledQuery, sql } from 'kysely';
import { createPool } from 'mysql2';
import pg from 'pg';
import type { ConnectionTarget } from './connection-url.js';
import { guardedDialect, messageOf } from './connection-errors.js';
import { DatabaseUnavailableError } from './contract.js';
import type { DialectName } from './contract.js';
import { preparingPool } from './pg-prepared.js';
import { OdinSqliteDialect } from './sqlite-dialect.js';
import type { Tables } from './tables.js';

export const DEFAULT_POOL_SIZE = 20;
const CONNECT_TIMEOUT_MS = 10_000;
const SQLITE_BUSY_TIMEOUT_MS = 5_000;

const PG_INT8_OID = 20;

export interface OpenDatabase {
  db: Kysely<Tables>;
  dialect: DialectName;
  /** The URL without its password, for messages. */
  redactedUrl: string;
}

/** Opens a pool (or the SQLite file) and proves it answers; DatabaseUnavailableError otherwise. */
export interface DatabaseOptions {
  poolSize?: number;
  /** PostgreSQL: run hot statements as named prepared statements (off for PgBouncer in transaction mode < 1.21). */
  preparedStatements?: boolean;
}

export async function openDatabase(
  target: ConnectionTarget,
  options: DatabaseOptions = {},
): Promise<OpenDatabase> {
  let db: Kysely<Tables>;
  try {
    db = createKysely(target, options.poolSize ?? DEFAULT_POOL_SIZE, options.preparedStatements ?? true);
  } catch (error) {
    throw new DatabaseUnavailableError(target.redacted, messageOf(error));
  }
  try {
    await sql`SELECT 1`.execute(db);
  } catch (error) {
    await db.destroy().catch(() => undefined);
    if (error instanceof DatabaseUnavailableError) throw error;
    throw new DatabaseUnavailableError(target.redacted, messageOf(error));
  }
  return { db, dialect: target.dialect, redactedUrl: target.redacted };
}

function createKysely(target: ConnectionTarget, poolSize: number, prepared: boolean): Kysely<Tables> {
  if (target.dialect === 'sqlite') {
    const file = new Database(target.filename, { timeout: SQLITE_BUSY_TIMEOUT_MS });
    if (target.filename !== ':memory:') {
      file.pragma('journal_mode = WAL');
      // NORMAL: COMMIT only write()s the WAL. A committed transition still survives power loss, as invariant 1
      // promises the caller: the dialect acknowledges a commit only after an fsync of the WAL done off the main
      // thread (sqlite-wal-sync.ts explains why that is as durable as FULL), instead of FULL's fsync inside COMMIT.
      file.pragma('synchronous = NORMAL');
    }
    file.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    file.pragma('foreign_keys = OFF');
    return new Kysely<Tables>({ dialect: guardedDialect(new OdinSqliteDialect(file), target.redacted) });
  }
  if (target.dialect === 'postgres') {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: poolSize,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // A history host paused (SIGSTOP) or partitioned inside a transaction keeps its row locks until the server ends
      // the session; without this limit the shard rows it locked would block every other host's acquireShard forever.
      idle_in_transaction_session_timeout: 5_000,
      // BIGINT ids stay below 2^53 by contract; parse them as numbers for this pool only (not pg's global parsers).
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === PG_INT8_OID
            ? (v: string) => Number(v)
            : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    // A client that dies (server restart, pg_terminate_backend), idle or checked out, must not crash the process:
    // the failing query rejects, and pg-pool discards the client when it is released.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => {
      client.on('error', () => undefined);
    });
    return new Kysely<Tables>({
      dialect: guardedDialect(
        new PostgresDialect({ pool: prepared ? preparingPool(pool) : pool }),
        target.redacted,
      ),
    });
  }
  const pool = createPool({
    uri: target.url,
    connectionLimit: poolSize,
    connectTimeout: CONNECT_TIMEOUT_MS,
    supportBigNumbers: true,
    bigNumberStrings: false,
    charset: 'utf8mb4_bin',
  });
  return new Kysely<Tables>({
    dialect: guardedDialect(
      new MysqlDialect({
        pool,
        // READ COMMITTED avoids InnoDB gap locks on the append-only tables; fencing relies on locking reads anyway.
        onCreateConnection: async (conn) => {
          await conn.executeQuery(
            CompiledQuery.raw('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED'),
          );
          // As on PostgreSQL: a host paused inside a transaction must not hold its row locks for ever. MariaDB ends
          // such a session after 5 s; MySQL 8 has no such setting (the statement fails and is ignored there), so a
          // MySQL cluster relies on wait_timeout (docs/operations.md).
          await conn
            .executeQuery(CompiledQuery.raw('SET SESSION idle_transaction_timeout = 5'))
            .catch(() => undefined);
        },
      }),
      target.redacted,
    ),
  });
}

import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { ServerTarget } from '../../connection-url.js';
import type { Tables } from '../../tables.js';
import { guardedDialect } from '../driver-errors.js';
import { checkedDatabaseName, withDatabase } from '../server-database.js';
import type { ConnectOptions } from '../sql-dialect.js';
import type { TransactionPipeline } from '../sql-dialect.js';
import { transactionPipeline } from './pipeline.js';
import { MAX_PREPARED_SQL_LENGTH, preparingPool } from './prepared.js';

const CONNECT_TIMEOUT_MS = 10_000;
const PG_INT8_OID = 20;

// BIGINT ids stay below 2^53 by contract; parse them as numbers for this pool only (not pg's global parsers).
const TYPE_PARSERS = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === PG_INT8_OID
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

const pipelines = new WeakMap<Kysely<Tables>, TransactionPipeline>();

/** The pipelined transactions on the pool behind `db` (a handle createPostgresKysely made). */
export function pipelineOf(db: Kysely<Tables>): TransactionPipeline | undefined {
  return pipelines.get(db);
}

export function createPostgresKysely(
  target: ServerTarget,
  options: ConnectOptions,
  isConnectionFailure: (error: unknown) => boolean,
): Kysely<Tables> {
  const pool = new pg.Pool({
    connectionString: target.url,
    max: options.poolSize,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // A history host paused (SIGSTOP) or partitioned inside a transaction keeps its row locks until the server ends
    // the session; without this limit the shard rows it locked would block every other host's acquireShard forever.
    idle_in_transaction_session_timeout: 5_000,
    types: TYPE_PARSERS,
  });
  // A client that dies (server restart, pg_terminate_backend), idle or checked out, must not crash the process:
  // the failing query rejects, and pg-pool discards the client when it is released.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const dialect = new PostgresDialect({ pool: options.preparedStatements ? preparingPool(pool) : pool });
  const db = new Kysely<Tables>({ dialect: guardedDialect(dialect, target.redacted, isConnectionFailure) });
  pipelines.set(
    db,
    transactionPipeline(pool, {
      prepared: options.preparedStatements,
      maxPreparedLength: MAX_PREPARED_SQL_LENGTH,
      types: TYPE_PARSERS,
      isConnectionFailure,
      url: target.redacted,
    }),
  );
  return db;
}

/** Connects to the server's `postgres` database to create or drop the one the URL names. */
async function onServer<T>(target: ServerTarget, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: withDatabase(target, 'postgres') });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function createPostgresDatabase(target: ServerTarget): Promise<boolean> {
  const name = checkedDatabaseName(target);
  return onServer(target, async (client) => {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) return false;
    await client.query(`CREATE DATABASE "${name}" ENCODING 'UTF8'`);
    return true;
  });
}

export async function dropPostgresDatabase(target: ServerTarget): Promise<void> {
  const name = checkedDatabaseName(target);
  await onServer(target, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

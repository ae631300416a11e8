import { CompiledQuery, Kysely, MysqlDialect } from 'kysely';
import { createPool, type TypeCast } from 'mysql2';
import mysql from 'mysql2/promise';
import type { ServerTarget } from '../../connection-url.js';
import type { Tables } from '../../tables.js';
import { guardedDialect } from '../driver-errors.js';
import { checkedDatabaseName, withDatabase } from '../server-database.js';
import type { ConnectOptions } from '../sql-dialect.js';

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * Every VARCHAR and VARBINARY value is read as a UTF-8 string. The workflow, schedule and batch-job id columns are
 * VARBINARY (columnTypes.id1000 in index.ts), which mysql2 would return as Buffers; the schema has no other
 * VARBINARY or BINARY column, and utf8mb4 VARCHARs decode as UTF-8 anyway, so this changes nothing else. Blobs
 * (the BLOB types) and every other type take mysql2's own conversion.
 */
const idsAsText: TypeCast = (field, next) =>
  field.type === 'VAR_STRING' || field.type === 'STRING' ? field.string('utf8') : next();

export function createMysqlKysely(
  target: ServerTarget,
  options: ConnectOptions,
  isConnectionFailure: (error: unknown) => boolean,
): Kysely<Tables> {
  const pool = createPool({
    uri: target.url,
    connectionLimit: options.poolSize,
    connectTimeout: CONNECT_TIMEOUT_MS,
    supportBigNumbers: true,
    bigNumberStrings: false,
    charset: 'utf8mb4_bin',
    typeCast: idsAsText,
  });
  const dialect = new MysqlDialect({
    pool,
    // READ COMMITTED avoids InnoDB gap locks on the append-only tables; fencing relies on locking reads anyway.
    onCreateConnection: async (conn) => {
      await conn.executeQuery(CompiledQuery.raw('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED'));
      // As on PostgreSQL: a host paused inside a transaction must not hold its row locks for ever. MariaDB ends
      // such a session after 5 s; MySQL 8 has no such setting (the statement fails and is ignored there), so a
      // MySQL cluster relies on wait_timeout (docs/operations.md).
      await conn
        .executeQuery(CompiledQuery.raw('SET SESSION idle_transaction_timeout = 5'))
        .catch(() => undefined);
    },
  });
  return new Kysely<Tables>({ dialect: guardedDialect(dialect, target.redacted, isConnectionFailure) });
}

/** Connects to the server without a database to create or drop the one the URL names. */
async function onServer<T>(target: ServerTarget, run: (conn: mysql.Connection) => Promise<T>): Promise<T> {
  const conn = await mysql.createConnection(withDatabase(target, ''));
  try {
    return await run(conn);
  } finally {
    await conn.end();
  }
}

export async function createMysqlDatabase(target: ServerTarget): Promise<boolean> {
  const name = checkedDatabaseName(target);
  return onServer(target, async (conn) => {
    const [result] = await conn.query(
      `CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    );
    return (result as { warningStatus?: number }).warningStatus === 0;
  });
}

export async function dropMysqlDatabase(target: ServerTarget): Promise<void> {
  const name = checkedDatabaseName(target);
  await onServer(target, (conn) => conn.query(`DROP DATABASE IF EXISTS \`${name}\``));
}

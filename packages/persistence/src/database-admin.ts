import { rmSync } from 'node:fs';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { parseConnectionUrl } from './connection-url.js';
import { DatabaseUnavailableError, InvalidConnectionUrlError } from './contract.js';
import { messageOf } from './connection-errors.js';

// Database names are interpolated into DDL (no parameters there), so only plain identifiers are accepted.
const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function serverUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function checkedName(name: string, redacted: string): string {
  if (!SAFE_NAME.test(name)) {
    throw new InvalidConnectionUrlError(
      `database name "${name}" in ${redacted} must be a plain identifier (letters, digits, underscore)`,
    );
  }
  return name;
}

/**
 * Creates the database the URL names when it does not exist (the `db create` step before `migrate`). SQLite
 * creates its file on open, so nothing to do there. Returns whether a database was created.
 */
export async function createDatabaseIfMissing(url: string): Promise<boolean> {
  const target = parseConnectionUrl(url);
  if (target.dialect === 'sqlite') return false;
  const name = checkedName(target.database, target.redacted);
  try {
    if (target.dialect === 'postgres') {
      const client = new pg.Client({ connectionString: serverUrl(url, 'postgres') });
      await client.connect();
      try {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (exists.rowCount) return false;
        await client.query(`CREATE DATABASE "${name}" ENCODING 'UTF8'`);
        return true;
      } finally {
        await client.end();
      }
    }
    const conn = await mysql.createConnection(serverUrl(url, ''));
    try {
      const [result] = await conn.query(
        `CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
      );
      return (result as { warningStatus?: number }).warningStatus === 0;
    } finally {
      await conn.end();
    }
  } catch (error) {
    throw new DatabaseUnavailableError(target.redacted, messageOf(error));
  }
}

/** Drops the database (or deletes the SQLite file and its WAL). For tests, benches and teardown tooling. */
export async function dropDatabase(url: string): Promise<void> {
  const target = parseConnectionUrl(url);
  if (target.dialect === 'sqlite') {
    if (target.filename !== ':memory:') {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${target.filename}${suffix}`, { force: true });
    }
    return;
  }
  const name = checkedName(target.database, target.redacted);
  try {
    if (target.dialect === 'postgres') {
      const client = new pg.Client({ connectionString: serverUrl(url, 'postgres') });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
      return;
    }
    const conn = await mysql.createConnection(serverUrl(url, ''));
    try {
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    } finally {
      await conn.end();
    }
  } catch (error) {
    throw new DatabaseUnavailableError(target.redacted, messageOf(error));
  }
}

// Fresh, throwaway databases for the conformance suite: one per test file and dialect, dropped afterwards.
// Made with the drivers themselves, not this package's createDatabaseIfMissing, and with the server URLs of
// @odin/test-databases written out here: that package depends on this one, which would make the suite test its own
// fixture.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { DialectName } from '../../src/contract.js';

export const PG_ADMIN_URL = process.env['ODIN_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const MYSQL_ADMIN_URL = process.env['ODIN_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/test';

export interface TestDatabase {
  dialect: DialectName;
  url: string;
  /** Database name (pg/mysql) or file path (sqlite). */
  name: string;
  drop(): Promise<void>;
}

function withPath(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * Waits (up to 2 s) until no session is connected to `name`. pg-pool's end() resolves once it has asked its idle
 * clients to close, not once they have: a forced drop right after it terminates such a closing session, and the pool
 * passes the server's error on as its own 'error' event, which a test's plain pool does not listen to: an uncaught
 * exception charged to the test that ran last. A session still there after the wait is left to the forced drop.
 */
async function sessionsGone(admin: pg.Client, name: string): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const { rows } = await admin.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [
      name,
    ]);
    if (rows[0].n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  const name = `odin_t_${randomBytes(5).toString('hex')}`;
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'odin-persistence-'));
    const file = join(dir, `${name}.db`);
    return {
      dialect,
      url: `sqlite:${file}`,
      name: file,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (dialect === 'postgres') {
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    return {
      dialect,
      url: withPath(PG_ADMIN_URL, name),
      name,
      drop: async () => {
        const c = new pg.Client({ connectionString: PG_ADMIN_URL });
        await c.connect();
        try {
          await sessionsGone(c, name);
          await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        } finally {
          await c.end();
        }
      },
    };
  }
  const adminUrl = withPath(MYSQL_ADMIN_URL, '');
  const admin = await mysql.createConnection(adminUrl);
  try {
    await admin.query(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await admin.end();
  }
  return {
    dialect,
    url: withPath(MYSQL_ADMIN_URL, name),
    name,
    drop: async () => {
      const c = await mysql.createConnection(adminUrl);
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name}`);
      } finally {
        await c.end();
      }
    },
  };
}

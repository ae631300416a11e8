// Makes concurrent migrators meet: creates Migrator's table and holds a lock on it that stops every migrator
// before Migrator's own lock, until released; then they all race for that lock together.
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { TestDatabase } from './databases.js';

const CREATE =
  'CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR(255) NOT NULL PRIMARY KEY, timestamp VARCHAR(255) NOT NULL)';

export interface MigrationHold {
  /** Resolves once `count` sessions wait on the hold; SQLite cannot tell, so there it waits `fallbackMs`. */
  waiting(count: number, fallbackMs: number): Promise<void>;
  release(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(test: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await test()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** SQLite: the database's write lock; PostgreSQL, MySQL: an exclusive lock on the table. */
export async function holdMigrations(db: TestDatabase): Promise<MigrationHold> {
  if (db.dialect === 'sqlite') {
    const file = new Database(db.name);
    file.pragma('journal_mode = WAL');
    file.exec(CREATE);
    file.exec('BEGIN IMMEDIATE');
    return {
      // A waiter spins in SQLite's busy handler for at most the driver's busy_timeout (5 s), so the fallback must
      // stay below what it takes a process to start plus that.
      waiting: (_count, fallbackMs) => sleep(fallbackMs),
      release: async () => {
        file.exec('ROLLBACK');
        file.close();
      },
    };
  }
  if (db.dialect === 'postgres') {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(CREATE);
    await client.query('BEGIN');
    await client.query('LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE');
    return {
      waiting: (count) =>
        until(async () => {
          // Statistics are read once per transaction unless the snapshot is dropped, and this one stays open.
          await client.query('SELECT pg_stat_clear_snapshot()');
          const r = await client.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
          );
          return r.rows[0].n >= count;
        }, `${count} sessions waiting on schema_migrations`),
      release: async () => {
        await client.query('ROLLBACK');
        await client.end();
      },
    };
  }
  const conn = await mysql.createConnection(db.url);
  await conn.query(CREATE);
  await conn.query('LOCK TABLES schema_migrations WRITE');
  return {
    waiting: (count) =>
      until(async () => {
        const [rows] = await conn.query(
          `SELECT count(*) AS n FROM information_schema.processlist
           WHERE db = DATABASE() AND state LIKE 'Waiting for table metadata lock' AND id <> CONNECTION_ID()`,
        );
        return Number((rows as { n: number }[])[0]?.n) >= count;
      }, `${count} sessions waiting on schema_migrations`),
    release: async () => {
      await conn.query('UNLOCK TABLES');
      await conn.end();
    },
  };
}

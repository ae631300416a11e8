import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parseConnectionUrl } from '../../src/connection-url.js';
import { SchemaTooNewError, SchemaTooOldError } from '../../src/contract.js';
import { openDatabase } from '../../src/database.js';
import { resolveLimits } from '../../src/limits.js';
import { LATEST_SCHEMA_VERSION } from '../../src/migrations/list.js';
import { migrateDatabase, openStore } from '../../src/open-store.js';
import { SqlNamespaceStore } from '../../src/stores/namespaces.js';
import { createTestDatabase } from '../support/databases.js';
import { T0 } from '../support/fixtures.js';
import { holdMigrations } from '../support/hold-migrations.js';
import { createLegacyDatabase, recordLegacyVersion } from '../support/legacy-database.js';
import type { SuiteContext } from './suite.js';

const migrateCli = fileURLToPath(new URL('../../src/migrate-cli.ts', import.meta.url));

export function defineMigrationCases(ctx: SuiteContext): void {
  describe('schema migrations', () => {
    test('the store reports the latest schema version after migrating', async () => {
      assert.equal(await ctx.store.schemaVersion(), LATEST_SCHEMA_VERSION);
      assert.equal(ctx.store.dialect, ctx.dialect);
    });

    test('applying the migrations twice is a no-op', async () => {
      const again = await migrateDatabase(ctx.db.url);
      assert.deepEqual(again.applied, []);
      assert.equal(again.from, LATEST_SCHEMA_VERSION);
      assert.equal(await ctx.store.schemaVersion(), LATEST_SCHEMA_VERSION);
    });

    test('an unmigrated database is refused unless migrate is on, and a newer schema is always refused', async () => {
      const other = await createTestDatabase(ctx.dialect);
      try {
        await assert.rejects(openStore({ url: other.url }), SchemaTooOldError);
        const first = await migrateDatabase(other.url);
        assert.deepEqual(first.applied, range(1, LATEST_SCHEMA_VERSION));
        const s = await openStore({ url: other.url, poolSize: 1 });
        await s.close();
        await recordMigration(
          other.url,
          `${String(LATEST_SCHEMA_VERSION + 1).padStart(4, '0')}_from_the_future`,
        );
        await assert.rejects(openStore({ url: other.url, migrate: true }), (e: unknown) => {
          assert.ok(e instanceof SchemaTooNewError);
          assert.equal(e.databaseVersion, LATEST_SCHEMA_VERSION + 1);
          return true;
        });
        await assert.rejects(migrateDatabase(other.url), SchemaTooNewError);
      } finally {
        await other.drop();
      }
    });

    test('a database migrated before Migrator keeps working, and the next migrate adopts its bookkeeping', async () => {
      const other = await createTestDatabase(ctx.dialect);
      try {
        await createLegacyDatabase(other.url, T0);
        // Version 1 is older than this build: refused until migrated, its data kept by the migration.
        await assert.rejects(openStore({ url: other.url, poolSize: 1 }), (e: unknown) => {
          assert.ok(e instanceof SchemaTooOldError);
          assert.equal(e.databaseVersion, 1);
          return true;
        });
        const legacy = await openDatabase(parseConnectionUrl(other.url), { poolSize: 1 });
        try {
          const limits = resolveLimits();
          await new SqlNamespaceStore({ db: legacy.db, dialect: legacy.dialect, limits }).createNamespace(
            namespace('legacy'),
          );
        } finally {
          await legacy.db.destroy();
        }

        const outcome = await migrateDatabase(other.url);
        assert.deepEqual(outcome, {
          from: 1,
          to: LATEST_SCHEMA_VERSION,
          applied: range(2, LATEST_SCHEMA_VERSION),
        });
        const rows = await migrationRows(other.url);
        assert.deepEqual(rows[0], { name: '0001_initial_schema', timestamp: new Date(T0).toISOString() });
        assert.equal(rows.length, LATEST_SCHEMA_VERSION);
        assert.deepEqual((await migrateDatabase(other.url)).applied, [], 'adopted once, nothing re-applied');

        const after = await openStore({ url: other.url, poolSize: 1 });
        assert.equal(await after.schemaVersion(), LATEST_SCHEMA_VERSION);
        assert.equal((await after.namespaces.getNamespaceByName('legacy'))?.id, 'legacy-id');
        await after.close();

        await recordLegacyVersion(other.url, LATEST_SCHEMA_VERSION + 1, T0);
        await assert.rejects(openStore({ url: other.url, poolSize: 1 }), SchemaTooNewError);
        await assert.rejects(migrateDatabase(other.url), SchemaTooNewError);
      } finally {
        await other.drop();
      }
    });

    test('two migrate commands that meet on a new database: one applies, the other waits and finds it done', async () => {
      const other = await createTestDatabase(ctx.dialect);
      try {
        // Both processes are held up before Migrator's lock until both got there, so they race for the lock
        // itself: both have read an empty database, and without the lock both would apply version 1.
        const hold = await holdMigrations(other);
        const running = [runMigrateCli(other.url), runMigrateCli(other.url)].map((p) =>
          p.catch((error: unknown) => String(error)),
        );
        try {
          await hold.waiting(2, 3_000);
        } finally {
          await hold.release();
        }
        const outputs = await Promise.all(running);
        const allApplied = `(applied ${range(1, LATEST_SCHEMA_VERSION).join(', ')})`;
        const applied = outputs.filter((o) => o.includes(allApplied)).length;
        const upToDate = outputs.filter((o) => /already up to date/.test(o)).length;
        assert.deepEqual({ applied, upToDate }, { applied: 1, upToDate: 1 }, outputs.join('\n'));
        if (ctx.dialect !== 'sqlite') {
          // SQLite readers pass its write lock, so there the hold cannot show that both started from nothing.
          for (const o of outputs) assert.ok(o.includes(`version 0 -> ${LATEST_SCHEMA_VERSION}`), o);
        }
        assert.equal((await migrationRows(other.url)).length, LATEST_SCHEMA_VERSION);
      } finally {
        await other.drop();
      }
    });
  });
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

function namespace(name: string) {
  return {
    id: `${name}-id`,
    name,
    state: 1,
    description: '',
    ownerEmail: '',
    retentionMs: 86_400_000,
    data: null,
    createdAt: T0,
    updatedAt: T0,
  };
}

async function withDb<T>(
  url: string,
  run: (db: Awaited<ReturnType<typeof openDatabase>>['db']) => Promise<T>,
) {
  const { db } = await openDatabase(parseConnectionUrl(url), { poolSize: 1 });
  try {
    return await run(db);
  } finally {
    await db.destroy();
  }
}

function migrationRows(url: string) {
  return withDb(url, (db) => db.selectFrom('schema_migrations').selectAll().orderBy('name').execute());
}

/** Pretends a newer Odin migrated the database. */
function recordMigration(url: string, name: string) {
  return withDb(url, (db) =>
    db
      .insertInto('schema_migrations')
      .values({ name, timestamp: new Date(T0).toISOString() })
      .execute(),
  );
}

/** Runs the migrate command in its own process; resolves with its output, rejects when it fails. */
function runMigrateCli(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@odin/source', '--import', 'tsx', migrateCli], {
      env: { ...process.env, HUGO_ORCHESTRATOR_DB_CONNECTION: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`migrate exited ${code}: ${out}`)),
    );
  });
}

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidConnectionUrlError } from '../src/contract.js';
import { createDatabaseIfMissing, dropDatabase } from '../src/database-admin.js';
import { LATEST_SCHEMA_VERSION } from '../src/migrations/list.js';
import { openStore } from '../src/open-store.js';
import { MYSQL_ADMIN_URL, PG_ADMIN_URL } from './support/databases.js';

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

for (const [dialect, admin] of [
  ['postgres', PG_ADMIN_URL],
  ['mysql', MYSQL_ADMIN_URL],
] as const) {
  test(`${dialect}: create-if-missing creates once, the store migrates it, drop removes it`, async () => {
    const url = withDatabase(admin, `odin_adm_${randomBytes(4).toString('hex')}`);
    assert.equal(await createDatabaseIfMissing(url), true);
    try {
      assert.equal(await createDatabaseIfMissing(url), false);
      const store = await openStore({ url, migrate: true, poolSize: 2, preparedStatements: false });
      assert.equal(await store.schemaVersion(), LATEST_SCHEMA_VERSION);
      assert.equal((await store.shards.acquireShard(3, 'h', 1000, 0)).rangeId, 1);
      assert.equal((await store.shards.acquireShard(3, 'h', 1000, 0)).rangeId, 2);
      await store.close();
    } finally {
      await dropDatabase(url);
    }
    assert.equal(await createDatabaseIfMissing(url), true, 'dropped, so it is created again');
    await dropDatabase(url);
  });
}

test('sqlite: the file is created on open and dropDatabase deletes it with its WAL', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'odin-adm-'));
  try {
    const url = `sqlite:${join(dir, 'odin.db')}`;
    assert.equal(await createDatabaseIfMissing(url), false);
    const store = await openStore({ url, migrate: true });
    await store.close();
    await dropDatabase(url);
    await assert.rejects(openStore({ url }), /SCHEMA|older/i);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('database names that are not plain identifiers are refused', async () => {
  await assert.rejects(
    createDatabaseIfMissing('postgres://postgres@127.0.0.1:5432/odin;drop'),
    InvalidConnectionUrlError,
  );
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConnectionUrl, redactConnectionUrl } from '../src/connection-url.js';
import { DatabaseUnavailableError, InvalidConnectionUrlError } from '../src/contract.js';
import { connectionUrlFromEnv, openStore } from '../src/open-store.js';

test('postgres, postgresql and mysql URLs select their dialect', () => {
  assert.equal(parseConnectionUrl('postgres://u@h:5432/odin').dialect, 'postgres');
  assert.equal(parseConnectionUrl('postgresql://u@h/odin').dialect, 'postgres');
  const my = parseConnectionUrl('mysql://root:pw@127.0.0.1:3306/odin');
  assert.equal(my.dialect, 'mysql');
  assert.ok('database' in my && my.database === 'odin');
});

test('sqlite URLs name a file or memory', () => {
  assert.deepEqual(parseConnectionUrl('sqlite::memory:'), {
    dialect: 'sqlite',
    filename: ':memory:',
    redacted: 'sqlite::memory:',
  });
  assert.equal(
    (parseConnectionUrl('sqlite:/var/lib/odin.db') as { filename: string }).filename,
    '/var/lib/odin.db',
  );
  assert.equal(
    (parseConnectionUrl('sqlite:///var/lib/odin.db') as { filename: string }).filename,
    '/var/lib/odin.db',
  );
  assert.equal((parseConnectionUrl('sqlite:data/odin.db') as { filename: string }).filename, 'data/odin.db');
});

test('bad URLs are refused with a message that says what to write instead', () => {
  const cases: [unknown, RegExp][] = [
    ['', /empty/],
    [42, /must be a string/],
    ['redis://localhost:6379', /unsupported database URL scheme "redis:"/],
    ['not a url', /cannot parse database URL/],
    ['sqlite:', /names no file/],
    ['mysql://root@localhost:3306', /names no database/],
  ];
  for (const [input, message] of cases) {
    assert.throws(
      () => parseConnectionUrl(input),
      (e: unknown) => e instanceof InvalidConnectionUrlError && message.test(e.message),
      String(input),
    );
  }
});

test('redaction removes the password and keeps the rest', () => {
  assert.equal(redactConnectionUrl('postgres://odin:s3cret@db:5432/odin'), 'postgres://odin@db:5432/odin');
  assert.equal(redactConnectionUrl('mysql://root@db/odin'), 'mysql://root@db/odin');
});

test('an unreachable database is a clear error that never shows the password', async () => {
  await assert.rejects(openStore({ url: 'postgres://odin:s3cret@127.0.0.1:1/odin' }), (e: unknown) => {
    assert.ok(e instanceof DatabaseUnavailableError);
    assert.equal(e.url, 'postgres://odin@127.0.0.1:1/odin');
    assert.doesNotMatch(e.message, /s3cret/);
    assert.match(e.message, /unavailable/);
    return true;
  });
  await assert.rejects(openStore({ url: 'mysql://root:s3cret@127.0.0.1:1/odin' }), (e: unknown) => {
    assert.ok(e instanceof DatabaseUnavailableError);
    assert.doesNotMatch(e.message, /s3cret/);
    return true;
  });
  await assert.rejects(openStore({ url: 'sqlite:/nonexistent-dir/odin.db' }), DatabaseUnavailableError);
});

test('the URL comes from HUGO_ORCHESTRATOR_DB_CONNECTION', () => {
  assert.equal(
    connectionUrlFromEnv({ HUGO_ORCHESTRATOR_DB_CONNECTION: 'sqlite::memory:' }),
    'sqlite::memory:',
  );
  assert.throws(() => connectionUrlFromEnv({}), /HUGO_ORCHESTRATOR_DB_CONNECTION is not set/);
});

test('an in-memory SQLite store migrates itself in dev mode', async () => {
  const store = await openStore({ url: 'sqlite::memory:', migrate: true });
  try {
    assert.equal(store.dialect, 'sqlite');
    assert.equal((await store.shards.acquireShard(1, 'h', 1000, 0)).rangeId, 1);
  } finally {
    await store.close();
  }
});

test('pool size and limits are validated', async () => {
  await assert.rejects(openStore({ url: 'sqlite::memory:', poolSize: 0 }), RangeError);
  await assert.rejects(openStore({ url: 'sqlite::memory:', limits: { maxEventBytes: -1 } }), RangeError);
});

// `namespace rotate-key` (docs/cli.md): a database command, run in this process on a SQLite file.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openStore } from '@odin/persistence';
import { ExitCode } from '../src/commands/index.js';
import { runCommand } from '../src/program.js';

let dir: string;
let url: string;
let keyFile: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'odin-cli-rotate-'));
  url = `sqlite:${join(dir, 'odin.db')}`;
  keyFile = join(dir, 'kek');
  writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const store = await openStore({ url, migrate: true });
  await store.namespaces.createNamespace({
    id: 'ns-orders',
    name: 'orders',
    state: 1,
    description: '',
    ownerEmail: '',
    retentionMs: 86_400_000,
    createdAt: 0,
    updatedAt: 0,
  });
  await store.close();
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('namespace rotate-key', () => {
  test('adds a data-key version each time; --reencrypt reports the rows rewritten', async () => {
    const env = { HUGO_ORCHESTRATOR_DB_CONNECTION: url, HUGO_ORCHESTRATOR_ENCRYPTION_KEY_FILE: keyFile };
    const first = await runCommand(['namespace', 'rotate-key', '--name', 'orders'], env);
    assert.equal(first.code, ExitCode.ok, first.stderr);
    assert.match(first.stdout, /namespace orders: data key version 1 seals new data/);
    const second = await runCommand(
      ['namespace', 'rotate-key', '--name', 'orders', '--reencrypt', '-o', 'json'],
      env,
    );
    assert.equal(second.code, ExitCode.ok, second.stderr);
    const report = JSON.parse(second.stdout);
    assert.equal(report.version, 2);
    assert.equal(report.reencrypted.rewritten, 0);
  });

  test('no key-encryption key, a bad one, or a bad batch size is a usage error; an unknown namespace fails', async () => {
    const noKey = await runCommand(['namespace', 'rotate-key', '--name', 'orders', '--db', url], {});
    assert.equal(noKey.code, ExitCode.usage);
    assert.match(noKey.stderr, /HUGO_ORCHESTRATOR_ENCRYPTION_KEY_FILE/);
    const secret = Buffer.from('not-a-32-byte-secret').toString('base64');
    const badKey = await runCommand(['namespace', 'rotate-key', '--name', 'orders', '--db', url], {
      HUGO_ORCHESTRATOR_ENCRYPTION_KEY: secret,
    });
    assert.equal(badKey.code, ExitCode.usage);
    assert.ok(!badKey.stderr.includes(secret), 'the key is not echoed');
    const batch = await runCommand(['namespace', 'rotate-key', '--name', 'orders', '--batch-size', '0'], {});
    assert.equal(batch.code, ExitCode.usage);
    const unknown = await runCommand(['namespace', 'rotate-key', '--name', 'nope', '--db', url], {
      HUGO_ORCHESTRATOR_ENCRYPTION_KEY_FILE: keyFile,
    });
    assert.equal(unknown.code, ExitCode.failed, unknown.stderr);
    assert.match(unknown.stderr, /namespace nope not found/);
  });
});

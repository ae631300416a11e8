import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { LATEST_SCHEMA_VERSION } from '../src/migrations/list.js';

const cli = fileURLToPath(new URL('../src/migrate-cli.ts', import.meta.url));

function runCli(env: Record<string, string | undefined>) {
  const { HUGO_ORCHESTRATOR_DB_CONNECTION: _, ...base } = process.env;
  return spawnSync(process.execPath, ['--conditions=@odin/source', '--import', 'tsx', cli], {
    env: { ...base, ...env },
    encoding: 'utf8',
  });
}

test('the migrate command migrates the database in HUGO_ORCHESTRATOR_DB_CONNECTION, then finds it up to date', () => {
  const dir = mkdtempSync(join(tmpdir(), 'odin-cli-'));
  try {
    const url = `sqlite:${join(dir, 'odin.db')}`;
    const first = runCli({ HUGO_ORCHESTRATOR_DB_CONNECTION: url });
    assert.equal(first.status, 0, first.stderr);
    const all = Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1).join(', ');
    assert.ok(first.stdout.includes(`version 0 -> ${LATEST_SCHEMA_VERSION} (applied ${all})`), first.stdout);
    const second = runCli({ HUGO_ORCHESTRATOR_DB_CONNECTION: url });
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /already up to date/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the migrate command fails with one clear line when the variable is unset or the database unreachable', () => {
  const unset = runCli({});
  assert.equal(unset.status, 1);
  assert.match(unset.stderr, /HUGO_ORCHESTRATOR_DB_CONNECTION is not set/);
  const down = runCli({ HUGO_ORCHESTRATOR_DB_CONNECTION: 'postgres://odin:s3cret@127.0.0.1:1/odin' });
  assert.equal(down.status, 1);
  assert.match(down.stderr, /postgres:\/\/odin@127\.0\.0\.1:1\/odin is unavailable/);
  assert.doesNotMatch(down.stderr, /s3cret/);
});

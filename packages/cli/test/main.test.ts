import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TemporalGrpcClient } from '@odin/frontend';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

interface Run {
  output: () => string;
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
}

function cli(args: string[], env: Record<string, string | undefined> = {}): Run {
  const child = spawn(process.execPath, ['--conditions=@odin/source', '--import', 'tsx', main, ...args], {
    env: { ...process.env, HUGO_ORCHESTRATOR_DB_CONNECTION: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    output: () => output,
    exited,
    kill: (signal) => child.kill(signal),
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = output.match(pattern);
          if (match) {
            listeners.delete(check);
            resolve(match);
          }
        };
        listeners.add(check);
        void exited.then((code) => reject(new Error(`exited ${code} before ${pattern}:\n${output}`)));
        check();
      }),
  };
}

describe('hugo-orchestrator', () => {
  test('server start-dev prints where it listens, serves the API and stops on SIGTERM', async () => {
    const run = cli([
      'server',
      'start-dev',
      '--port',
      '0',
      '--namespace',
      'extra',
      '--http-port',
      '0',
      '--headless',
    ]);
    try {
      const [, address, httpPort] = await run.waitFor(
        /listening on (127\.0\.0\.1:\d+)[\s\S]*namespaces: default, extra\n {2}HTTP API: +http:\/\/127\.0\.0\.1:(\d+)/,
      );
      assert.doesNotMatch(run.output(), /web UI/);
      const system = await fetch(`http://127.0.0.1:${httpPort}/api/v1/system-info`);
      assert.equal(system.status, 200);
      const client = new TemporalGrpcClient(address!);
      try {
        const described = (await client.call('DescribeNamespace', { namespace: 'extra' })) as {
          namespaceInfo: { name: string };
        };
        assert.equal(described.namespaceInfo.name, 'extra');
      } finally {
        client.close();
      }
      run.kill('SIGTERM');
      assert.equal(await run.exited, 0);
    } finally {
      run.kill('SIGKILL');
    }
  });

  test('db migrate applies the schema to the database it is given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'odin-cli-'));
    try {
      const run = cli(['db', 'migrate', '--db', `sqlite:${join(dir, 'odin.db')}`]);
      assert.equal(await run.exited, 0, run.output());
      assert.match(run.output(), /schema of sqlite:.*odin\.db: version 0 -> \d+/);
      const again = cli(['db', 'migrate', '--db', `sqlite:${join(dir, 'odin.db')}`]);
      assert.equal(await again.exited, 0);
      assert.match(again.output(), /already up to date/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('server start as a cluster process with the frontend serves the HTTP API and, with --ui, the UI', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'odin-cli-'));
    try {
      const env = {
        HUGO_ORCHESTRATOR_DB_CONNECTION: `sqlite:${join(dir, 'odin.db')}`,
        HUGO_ORCHESTRATOR_HISTORY_PORT: '0',
        HUGO_ORCHESTRATOR_MATCHING_PORT: '0',
        HUGO_ORCHESTRATOR_SHARD_COUNT: '4',
        HUGO_ORCHESTRATOR_LOG_LEVEL: 'warn',
      };
      assert.equal(await cli(['db', 'migrate'], env).exited, 0);
      const run = cli(
        [
          'server',
          'start',
          '--service',
          'frontend,history,matching',
          '--port',
          '0',
          '--http-port',
          '0',
          '--ui-port',
          '0',
        ],
        env,
      );
      try {
        const [, httpPort, uiPort] = await run.waitFor(
          /serving frontend 127\.0\.0\.1:\d+, HTTP API on port (\d+), web UI on port (\d+), history/,
        );
        const namespace = await fetch(`http://127.0.0.1:${httpPort}/api/v1/namespaces/default`);
        assert.equal(namespace.status, 200);
        const page = await fetch(`http://127.0.0.1:${uiPort}/`);
        assert.equal(page.status, 200);
        run.kill('SIGTERM');
        assert.equal(await run.exited, 0, run.output());
      } finally {
        run.kill('SIGKILL');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('server start without a database URL is a usage error (exit 2) naming the variable', async () => {
    const run = cli(['server', 'start', '--port', '0']);
    assert.equal(await run.exited, 2);
    assert.match(run.output(), /HUGO_ORCHESTRATOR_DB_CONNECTION is not set/);
  });

  test('a bad port is refused before anything starts, with exit 2', async () => {
    const run = cli(['server', 'start-dev', '--port', 'seventy']);
    assert.equal(await run.exited, 2);
    assert.match(run.output(), /must be a whole number between 0 and 65535/);
  });
});

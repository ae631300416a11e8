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

  test('server start without a database URL exits 1 naming the variable', async () => {
    const run = cli(['server', 'start', '--port', '0']);
    assert.equal(await run.exited, 1);
    assert.match(run.output(), /HUGO_ORCHESTRATOR_DB_CONNECTION is not set/);
  });

  test('a bad port is refused before anything starts', async () => {
    const run = cli(['server', 'start-dev', '--port', 'seventy']);
    assert.notEqual(await run.exited, 0);
    assert.match(run.output(), /must be a whole number between 0 and 65535/);
  });
});

// What `server start-dev` loads before it is ready, and that it serves at once: start-up time is module loading
// (docs/performance.md, "Start-up"), so the modules it does not need until later (another database's driver, JWT
// verification, the List query grammar, undici behind an ESM import of node:http) must stay out of its way, and
// the first calls after the ready line (a start, its history, the List query that loads the grammar) must still be
// served.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TemporalGrpcClient } from '@odin/frontend';
import { loadedModules, NOT_AT_START, packageOf } from './fixtures/not-at-start.js';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const recorder = fileURLToPath(new URL('./fixtures/loaded-modules.mjs', import.meta.url));

test('start-dev on a new SQLite file loads no driver, JWT or grammar module before ready, and serves at once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'odin-start-up-'));
  const snapshot = join(dir, 'loaded.json');
  const child = spawn(
    process.execPath,
    [
      '--conditions=@odin/source',
      '--import',
      'tsx',
      '--import',
      recorder,
      main,
      'server',
      'start-dev',
      '--port',
      '0',
      '--db-filename',
      join(dir, 'odin.db'),
      '--headless',
      '--http-port',
      '0',
    ],
    { env: { ...process.env, ODIN_TEST_LOADED_MODULES: snapshot }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  try {
    const address = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening on (127\.0\.0\.1:\d+)/.exec(output);
        if (match) resolve(match[1]!);
      });
      void exited.then((code) => reject(new Error(`start-dev exited (${code}):\n${output}`)));
    });
    // What was loaded by the time of the ready line (before any call below).
    const { urls, builtins } = await loadedModules(child, snapshot);
    const early = new Set(urls.map(packageOf).filter((p) => p !== undefined));
    assert.ok(early.has('better-sqlite3'), 'the recorder saw the SQLite driver load');
    for (const name of NOT_AT_START)
      assert.ok(!early.has(name), `${name} was loaded before start-dev was ready`);
    assert.ok(
      !builtins.some((m) => m.includes('undici')),
      'undici was loaded before start-dev was ready (an ESM import of node:http?)',
    );

    const client = new TemporalGrpcClient(address);
    try {
      const described = (await client.call('DescribeNamespace', { namespace: 'default' })) as {
        namespaceInfo: { name: string };
      };
      assert.equal(described.namespaceInfo.name, 'default');
      // The first start and history read set up the history event codec (on first use, not at start-up).
      await client.call('StartWorkflowExecution', {
        namespace: 'default',
        workflowId: 'first-after-ready',
        workflowType: { name: 'w' },
        taskQueue: { name: 'q' },
        requestId: 'r1',
      });
      const history = (await client.call('GetWorkflowExecutionHistory', {
        namespace: 'default',
        execution: { workflowId: 'first-after-ready' },
      })) as { history: { events: { eventType: unknown }[] } };
      assert.equal(history.history.events.length, 2);
      // The first List query loads the grammar (peggy) then.
      const listed = (await client.call('ListWorkflowExecutions', {
        namespace: 'default',
        query: "WorkflowType = 'nothing' AND ExecutionStatus = 'Running'",
      })) as { executions: unknown[] };
      assert.deepEqual(listed.executions, []);
      await assert.rejects(
        client.call('ListWorkflowExecutions', { namespace: 'default', query: 'WorkflowType = ' }),
        /syntax error|invalid|expected/i,
      );
    } finally {
      client.close();
    }
    child.kill('SIGTERM');
    assert.equal(await exited, 0, output);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

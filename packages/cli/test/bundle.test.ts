// The bundle that `npm run dev` and the benches start (scripts/bundle.mjs), built afresh from dist/ into a folder of
// its own: it must serve what dist/ serves. Start-dev on a SQLite file runs an official-SDK workflow (an activity, a
// timer, a signal: gRPC, protobuf and the engine end to end), answers a List query (the grammar, loaded on first use),
// and serves the HTTP API, its OpenAPI document and the web UI, each a file found next to a module of dist/ or its
// package; `server start` migrates and serves on PostgreSQL and MySQL, whose drivers are chunks of their own.
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TemporalGrpcClient } from '@odin/frontend';
import { MYSQL_ADMIN_URL, PG_ADMIN_URL, throwawayDatabase } from '@odin/test-databases';
import { freePort } from '@odin/test-ports';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { ExitCode } from '../src/commands/index.js';
import { runCommand } from '../src/program.js';
import { loadedModules, NOT_AT_START, packageOf } from './fixtures/not-at-start.js';
import { greetOdin } from './fixtures/official/greeting.js';

const bundleScript = fileURLToPath(new URL('../scripts/bundle.mjs', import.meta.url));
const workflowsPath = fileURLToPath(new URL('./fixtures/official/workflows.ts', import.meta.url));
const recorder = fileURLToPath(new URL('./fixtures/loaded-modules.mjs', import.meta.url));

let dir: string;
let main: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'odin-bundle-'));
  execFileSync(process.execPath, [bundleScript, '--outdir', join(dir, 'bundle')], { stdio: 'pipe' });
  main = join(dir, 'bundle', 'main.js');
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** A process of the bundle, its output kept, and its banner's lines once it says it is listening. */
class BundledServer {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;

  constructor(args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []) {
    this.child = spawn(process.execPath, [...nodeArgs, main, ...args], {
      env: { ...process.env, HUGO_ORCHESTRATOR_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
    const keep = (chunk: Buffer) => {
      this.output += chunk.toString();
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
  }

  /** Resolves with the output so far once it holds `ready` and `lines` more lines after it (within a minute). */
  ready(ready: RegExp, lines = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${ready} within a minute:\n${this.output}`)),
        60_000,
      );
      const check = () => {
        const at = this.output.search(ready);
        if (at >= 0 && this.output.slice(at).split('\n').length > lines + 1) {
          clearTimeout(timer);
          resolve(this.output);
        }
      };
      this.child.stdout?.on('data', check);
      check();
      void this.exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`the bundle exited (${code}):\n${this.output}`));
      });
    });
  }

  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return await this.exited;
  }
}

function field(output: string, pattern: RegExp): string {
  const match = pattern.exec(output);
  assert.ok(match?.[1], `${pattern} in:\n${output}`);
  return match[1];
}

describe('the bundle of the CLI', () => {
  test('start-dev loads a few dozen files before ready, none holding another driver, JWT or the List grammar', async () => {
    const snapshot = join(dir, 'loaded.json');
    const server = new BundledServer(
      [
        'server',
        'start-dev',
        '--port',
        '0',
        '--db-filename',
        join(dir, 'lazy.db'),
        '--headless',
        '--http-port',
        '0',
      ],
      { ODIN_TEST_LOADED_MODULES: snapshot },
      ['--import', recorder],
    );
    try {
      await server.ready(/listening on/);
      const { urls } = await loadedModules(server.child, snapshot);
      const files = urls.filter((url) => url.startsWith('file:'));
      const chunks = new Set(
        files.filter((url) => url.includes('/bundle/')).map((url) => basename(new URL(url).pathname)),
      );
      // Unbundled, ~1,150 files load before ready; bundled, the entry's chunks and the packages it imports where
      // they are installed (better-sqlite3, the protobuf runtime).
      assert.ok(files.length < 200, `${files.length} files loaded before ready`);
      assert.ok(
        chunks.size > 0 && chunks.size < 30,
        `${chunks.size} chunks of the bundle loaded before ready`,
      );
      assert.ok(
        files.some((url) => packageOf(url) === 'better-sqlite3'),
        'the SQLite driver loaded',
      );

      const meta = JSON.parse(readFileSync(join(dir, 'bundle', 'meta.json'), 'utf8')) as {
        outputs: Record<string, { inputs: Record<string, unknown> }>;
      };
      // Each is either in chunks of its own (the drivers, JWT) or required from node_modules on first use (the
      // grammar's generator): neither may have been loaded yet.
      const bundled: string[] = [];
      for (const name of NOT_AT_START) {
        assert.ok(!files.some((url) => packageOf(url) === name), `${name} was loaded before ready`);
        const holding = Object.entries(meta.outputs)
          .filter(([, output]) => Object.keys(output.inputs).some((input) => packageOf(input) === name))
          .map(([file]) => basename(file));
        if (holding.length > 0) bundled.push(name);
        for (const chunk of holding)
          assert.ok(!chunks.has(chunk), `${chunk} (${name}) was loaded before ready`);
      }
      assert.ok(
        ['pg', 'mysql2', 'jose'].every((name) => bundled.includes(name)),
        `bundled: ${bundled.join(', ')}`,
      );
      assert.equal(await server.stop(), 0, server.output);
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  test('start-dev runs an official-SDK workflow and serves List, the HTTP API, its OpenAPI document and the UI', async () => {
    const server = new BundledServer([
      'server',
      'start-dev',
      '--port',
      '0',
      '--db-filename',
      join(dir, 'dev.db'),
      '--http-port',
      '0',
      '--ui-port',
      '0',
    ]);
    try {
      const banner = await server.ready(/listening on/, 5);
      const address = field(banner, /listening on (127\.0\.0\.1:\d+)/);
      const httpApi = field(banner, /HTTP API:\s+(http:\/\/\S+)/);
      const webUi = field(banner, /web UI:\s+(http:\/\/\S+)/);

      Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });
      const connection = await NativeConnection.connect({ address });
      try {
        const worker = await Worker.create({
          connection,
          taskQueue: 'bundle',
          workflowBundle: await bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('ERROR') }),
          activities: { greet: async (name: string) => `Hello, ${name}` },
        });
        await worker.runUntil(greetOdin(address, 'bundle', 'bundled'));
      } finally {
        await connection.close();
      }

      const client = new TemporalGrpcClient(address);
      try {
        const listed = (await client.call('ListWorkflowExecutions', {
          namespace: 'default',
          query: "WorkflowType = 'Greeting' AND ExecutionStatus = 'Completed'",
        })) as { executions: { execution: { workflowId: string } }[] };
        assert.deepEqual(
          listed.executions.map((e) => e.execution.workflowId),
          ['bundled'],
        );
        await assert.rejects(
          client.call('ListWorkflowExecutions', { namespace: 'default', query: 'WorkflowType = ' }),
          /syntax error|invalid|expected/i,
        );
      } finally {
        client.close();
      }

      const described = await fetch(`${httpApi}/api/v1/namespaces/default/workflows/bundled`);
      assert.equal(described.status, 200);
      const execution = (await described.json()) as { workflowExecutionInfo: { status: string } };
      assert.equal(execution.workflowExecutionInfo.status, 'WORKFLOW_EXECUTION_STATUS_COMPLETED');
      const openApi = await fetch(`${httpApi}/openapi.yaml`);
      assert.equal(openApi.status, 200);
      assert.match(await openApi.text(), /^openapi: /m);
      const page = await fetch(webUi);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<!doctype html>/i);

      assert.equal(await server.stop(), 0, server.output);
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  for (const [kind, adminUrl] of [
    ['PostgreSQL', PG_ADMIN_URL],
    ['MySQL', MYSQL_ADMIN_URL],
  ] as const) {
    test(`server start migrates and serves on ${kind}`, async () => {
      const database = await throwawayDatabase(adminUrl, 'odin_bundle');
      try {
        const env = {
          HUGO_ORCHESTRATOR_DB_CONNECTION: database.url,
          HUGO_ORCHESTRATOR_FRONTEND_PORT: String(await freePort()),
          HUGO_ORCHESTRATOR_HISTORY_PORT: String(await freePort()),
          HUGO_ORCHESTRATOR_MATCHING_PORT: String(await freePort()),
          HUGO_ORCHESTRATOR_HTTP_PORT: '0',
          HUGO_ORCHESTRATOR_SHARD_COUNT: '8',
        };
        const migrated = execFileSync(process.execPath, [main, 'db', 'migrate'], {
          env: { ...process.env, ...env },
          encoding: 'utf8',
        });
        assert.match(migrated, /version 0 -> \d+/);
        const server = new BundledServer(['server', 'start', '--service', 'all'], env);
        try {
          await server.ready(/listening on/);
          const address = `127.0.0.1:${env.HUGO_ORCHESTRATOR_FRONTEND_PORT}`;
          const cli = (args: string[]) => runCommand(args, { HUGO_ORCHESTRATOR_ADDRESS: address });
          const created = await cli(['namespace', 'create', '--name', 'bundled']);
          assert.equal(created.code, ExitCode.ok, created.stderr);
          const started = await cli([
            'workflow',
            'start',
            '--namespace',
            'bundled',
            '--type',
            'Anything',
            '--task-queue',
            'nobody',
            '--workflow-id',
            'bundled',
          ]);
          assert.equal(started.code, ExitCode.ok, started.stderr);
          const shown = await cli([
            'workflow',
            'show',
            '--namespace',
            'bundled',
            '--workflow-id',
            'bundled',
            '-o',
            'json',
          ]);
          assert.equal(shown.code, ExitCode.ok, shown.stderr);
          const history = JSON.parse(shown.stdout) as { events: { eventType: string }[] };
          assert.equal(history.events[0]?.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED');
          assert.equal(await server.stop(), 0, server.output);
        } finally {
          server.child.kill('SIGKILL');
        }
      } finally {
        await database.drop();
      }
    });
  }
});

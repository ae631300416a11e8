// Shared set-up of the compat suite: an Odin dev server in this process, the official Temporal SDK client and
// worker against it, a workflow bundle built once (and cached on disk across test files).
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { createDatabaseIfMissing, dropDatabase, startDevServer } from '@odin/server';
import { databaseOn, MYSQL_ADMIN_URL, PG_ADMIN_URL } from '@odin/test-databases';
import * as activities from './activities.js';
import { startCluster } from './cluster.js';

export type DbKind = 'sqlite' | 'postgres' | 'mysql';
/** A database for one dev server, or `cluster`: every role its own process (three history hosts) on PostgreSQL. */
export type Topology = DbKind | 'cluster';

const here = fileURLToPath(new URL('.', import.meta.url));
const workflowsDir = join(here, 'workflows');

/** What the suite runs on: ODIN_COMPAT_DATABASES=sqlite,postgres,mysql,cluster (default all four). */
export function topologiesUnderTest(): Topology[] {
  const raw = process.env.ODIN_COMPAT_DATABASES ?? 'sqlite,postgres,mysql,cluster';
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s): s is Topology => s === 'sqlite' || s === 'postgres' || s === 'mysql' || s === 'cluster');
}

/** The databases of single-process scenarios (those that start their own server). */
export function databasesUnderTest(): DbKind[] {
  return topologiesUnderTest().filter((t): t is DbKind => t !== 'cluster');
}

let bundle: Promise<{ code: string }> | undefined;

/** The workflow bundle of test/compat/workflows, built once per process and cached on disk by content hash. */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= (async () => {
    const hash = createHash('sha256');
    hash.update(readFileSync(join(here, 'package.json')));
    for (const name of readdirSync(workflowsDir).sort())
      hash.update(name).update(readFileSync(join(workflowsDir, name)));
    const cached = join(tmpdir(), `odin-compat-bundle-${hash.digest('hex').slice(0, 16)}.js`);
    if (existsSync(cached)) return { code: readFileSync(cached, 'utf8') };
    const built = await bundleWorkflowCode({
      workflowsPath: join(workflowsDir, 'index.ts'),
      logger: new DefaultLogger('WARN'),
    });
    writeFileSync(cached, built.code);
    return built;
  })();
  return bundle;
}

let runtimeInstalled = false;
export function installRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  // No SDK signal handlers: a test process that is told to stop must stop, not shut workers down gracefully.
  Runtime.install({
    logger: new DefaultLogger(process.env.ODIN_COMPAT_SDK_LOG === '1' ? 'INFO' : 'ERROR'),
    shutdownSignals: [],
  });
}

/** The URL of database `name` of that kind: a file in `dir` for SQLite, else on the test server. */
export function databaseUrl(kind: DbKind, name: string, dir: string): string {
  if (kind === 'sqlite') return `sqlite:${join(dir, `${name}.db`)}`;
  return databaseOn(kind === 'postgres' ? PG_ADMIN_URL : MYSQL_ADMIN_URL, name);
}

export interface RunningWorker {
  readonly worker: Worker;
  /** Stops polling and waits for the worker to finish (its run promise). */
  stop(): Promise<void>;
}

/** The server under test as the scenarios see it: where the frontend listens. */
export interface ServerUnderTest {
  readonly address: string;
  stop(): Promise<void>;
}

export interface CompatEnv {
  readonly db: Topology;
  readonly server: ServerUnderTest;
  readonly client: Client;
  /** A client on the workers' NativeConnection (what eager workflow start needs). */
  readonly nativeClient: Client;
  readonly dbUrl: string;
  /** A task queue name unique to this test. */
  taskQueue(label: string): string;
  /** Starts an SDK worker on the queue with the compat workflows and activities. */
  startWorker(taskQueue: string, options?: Partial<WorkerOptions>): Promise<RunningWorker>;
  /** Runs `fn` while a worker polls `taskQueue`. */
  withWorker<T>(taskQueue: string, fn: () => Promise<T>, options?: Partial<WorkerOptions>): Promise<T>;
  close(): Promise<void>;
}

let envCounter = 0;

/** A dev server on a fresh database of the given kind, a client and a native connection to it. */
export async function startEnv(
  db: Topology,
  serverOptions: { shardCount?: number; env?: Record<string, string> } = {},
): Promise<CompatEnv> {
  installRuntime();
  const dir = mkdtempSync(join(tmpdir(), 'odin-compat-'));
  const name = `odin_compat_${process.pid}_${++envCounter}_${Date.now().toString(36)}`;
  const dbUrl = databaseUrl(db === 'cluster' ? 'postgres' : db, name, dir);
  await createDatabaseIfMissing(dbUrl);
  const logLevel =
    process.env.ODIN_COMPAT_LOG_LEVEL === undefined ? 'warn' : (process.env.ODIN_COMPAT_LOG_LEVEL as 'info');
  const server: ServerUnderTest =
    db === 'cluster'
      ? await startCluster(dbUrl)
      : await startDevServer({
          port: 0,
          dbUrl,
          logLevel,
          shardCount: serverOptions.shardCount ?? 8,
          ...(serverOptions.env ? { env: { ...process.env, ...serverOptions.env } } : {}),
        });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: 'default' });
  const nativeConnection = await NativeConnection.connect({ address: server.address });
  const nativeClient = new Client({ connection: nativeConnection, namespace: 'default' });
  const workers = new Set<RunningWorker>();
  let queues = 0;

  const startWorker = async (
    taskQueue: string,
    options: Partial<WorkerOptions> = {},
  ): Promise<RunningWorker> => {
    const worker = await Worker.create({
      connection: nativeConnection,
      namespace: 'default',
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities,
      shutdownGraceTime: '1 second',
      ...options,
    });
    const running = worker.run();
    const handle: RunningWorker = {
      worker,
      stop: async () => {
        workers.delete(handle);
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      },
    };
    workers.add(handle);
    return handle;
  };

  return {
    db,
    server,
    client,
    nativeClient,
    dbUrl,
    taskQueue: (label) => `${label}-${++queues}`,
    startWorker,
    async withWorker(taskQueue, fn, options) {
      const running = await startWorker(taskQueue, options);
      try {
        return await fn();
      } finally {
        await running.stop();
      }
    },
    async close() {
      for (const running of [...workers]) await running.stop().catch(() => undefined);
      await nativeConnection.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
      await server.stop();
      await dropDatabase(dbUrl).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Declares `body`'s tests once per topology under test, each group with its own server(s) on a fresh database.
 * `body` gets a getter because the environment exists only once `before` ran.
 */
/** `body` registers the suite's tests once per topology; it gets the topology to leave out what does not apply. */
export function compatSuite(title: string, body: (env: () => CompatEnv, topology: Topology) => void): void {
  for (const db of topologiesUnderTest()) {
    describe(`${title} [${db}]`, () => {
      let env: CompatEnv | undefined;
      before(async () => {
        env = await startEnv(db);
      });
      after(async () => {
        await env?.close();
      });
      body(() => {
        if (!env) throw new Error('compat environment not started');
        return env;
      }, db);
    });
  }
}

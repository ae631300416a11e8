// Issue 4's workloads against an Odin server process, driven by the official Temporal SDK:
//   node --conditions=@odin/source --import tsx bench/workloads/run.ts [--db sqlite,postgres] [--workload W1,W2]
//                                                                   [--n 2000] [--concurrency 64]
// W1: a workflow calling one activity that returns its input plus a suffix. W2: W1 after a 100 ms durable sleep.
// Prints workflows/s, p50/p99 latency from start to result, and the server process's CPU seconds.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createDatabaseIfMissing, dropDatabase } from 'hugo-orchestrator';
import * as activities from './activities.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '..', '..');
const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite,postgres' },
    workload: { type: 'string', default: 'W1,W2' },
    n: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '64' },
    warmup: { type: 'string', default: '100' },
  },
});
const N = Number(values.n);
const CONCURRENCY = Number(values.concurrency);
const WARMUP = Number(values.warmup);

Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** utime + stime of a process in seconds (Linux /proc). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function startServer(dbUrl: string, port: number) {
  const cli = join(repo, 'packages', 'cli', 'src', 'main.ts');
  const env = {
    ...process.env,
    HUGO_ORCHESTRATOR_DB_CONNECTION: dbUrl,
    HUGO_ORCHESTRATOR_LOG_LEVEL: 'error',
  };
  const node = (args: string[]) =>
    spawn(
      process.execPath,
      [...serverNodeArgs, '--conditions=@odin/source', '--import', 'tsx', cli, ...args],
      {
        cwd: repo,
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
  const args = dbUrl.startsWith('sqlite:')
    ? [
        'server',
        'start-dev',
        '--port',
        String(port),
        '--db-filename',
        dbUrl.slice('sqlite:'.length),
        '--log-level',
        'error',
      ]
    : ['server', 'start', '--port', String(port)];
  if (!dbUrl.startsWith('sqlite:')) {
    await new Promise<void>((resolve, reject) =>
      node(['db', 'migrate']).once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error('migrate failed')),
      ),
    );
  }
  const child = node(args);
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/listening on/.test(out)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  return child;
}

/** Extra node flags for the server process, e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
const serverNodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function drive(client: Client, taskQueue: string, type: string, count: number, prefix: string) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        const result = await client.workflow.execute(type, {
          taskQueue,
          workflowId: `${prefix}-${i}`,
          args: [`in-${i}`],
        });
        if (result !== `in-${i}-done`) throw new Error(`wrong result ${String(result)}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, latencies: latencies.sort((a, b) => a - b) };
}

const bundle = await bundleWorkflowCode({
  workflowsPath: join(here, 'workflows.ts'),
  logger: new DefaultLogger('ERROR'),
});

for (const db of values.db.split(',')) {
  const dir = mkdtempSync(join(tmpdir(), 'odin-bench-'));
  const name = `odin_bench_${process.pid}_${Date.now().toString(36)}`;
  const dbUrl =
    db === 'sqlite'
      ? `sqlite:${join(dir, 'odin.db')}`
      : (() => {
          const url = new URL(process.env.ODIN_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
          url.pathname = `/${name}`;
          return url.toString();
        })();
  await createDatabaseIfMissing(dbUrl);
  const port = await freePort();
  const server = await startServer(dbUrl, port);
  const address = `127.0.0.1:${port}`;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  const native = await NativeConnection.connect({ address });
  const taskQueue = 'bench';
  const worker = await Worker.create({
    connection: native,
    namespace: 'default',
    taskQueue,
    workflowBundle: bundle,
    activities,
    maxConcurrentWorkflowTaskExecutions: 100,
    maxConcurrentActivityTaskExecutions: 100,
    // Odin parks sticky polls and dispatches every workflow task to the normal queue (reference §3), so the
    // worker's workflow pollers go to the normal queue: half of them instead of the default fifth.
    maxConcurrentWorkflowTaskPolls: Number(process.env.BENCH_WFT_POLLS ?? 20),
    nonStickyToStickyPollRatio: Number(process.env.BENCH_POLL_RATIO ?? 1),
  });
  const running = worker.run();
  try {
    for (const workload of values.workload.split(',')) {
      const type = workload.toLowerCase();
      await drive(client, taskQueue, type, WARMUP, `warm-${type}`);
      const cpuBefore = cpuSeconds(server.pid!);
      const { seconds, latencies } = await drive(client, taskQueue, type, N, `run-${type}`);
      const cpu = cpuSeconds(server.pid!) - cpuBefore;
      console.log(
        `${workload} ${db.padEnd(8)} n=${N} in-flight=${CONCURRENCY}: ${(N / seconds).toFixed(0)} workflows/s, ` +
          `p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, ` +
          `server CPU ${cpu.toFixed(1)} s`,
      );
    }
  } finally {
    worker.shutdown();
    await running;
    await native.close();
    await connection.close();
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await dropDatabase(dbUrl).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

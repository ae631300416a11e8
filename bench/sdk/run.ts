// W1 with OUR worker (@odin/sdk) beside the OFFICIAL worker (@temporalio/worker), same server, same run:
//   node --conditions=@odin/source --import tsx bench/sdk/run.ts [--n 2000] [--concurrency 64] [--warmup 100]
//                                                               [--client official|odin] [--order odin,official]
//                                                               [--address host:port]
// The server is an in-process `start-dev` on a SQLite file. Each worker polls its own task queue and runs alone
// during its phase (the other is shut down), and both phases are driven by the same client, so the figures differ
// by the worker only. Prints workflows/s and p50/p99 latency from start to result for each. Not part of the tests.
// `--order official,odin,odin-replay` adds our worker without its run cache (every workflow task replays the whole
// history from the normal queue); each of our phases also prints the replay cost per workflow task: history events
// the runtime went through, and milliseconds spent bringing runs up to date and running them.
// BENCH_ODIN_STICKY_POLLERS sets our worker's sticky-queue pollers (as many as its workflow pollers by default).
// --address uses a server that is already running (e.g. `hugo-orchestrator server start-dev` in its own process,
// so the server does not share this process's event loop) instead of the in-process one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Connection as OdinConnection, Worker as OdinWorker, WorkflowClient } from '@odin/sdk';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { startDevServer } from '@odin/server';
import * as activities from '../workloads/activities.js';
import * as odinWorkflows from './workflows.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '64' },
    warmup: { type: 'string', default: '100' },
    client: { type: 'string', default: 'official' },
    order: { type: 'string', default: 'official,odin' },
    address: { type: 'string' },
  },
});
const N = Number(values.n);
const CONCURRENCY = Number(values.concurrency);
const WARMUP = Number(values.warmup);

Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });

/** Starts W1 with this id and input and resolves to its result. */
type Execute = (workflowId: string, input: string, taskQueue: string) => Promise<unknown>;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function drive(execute: Execute, taskQueue: string, count: number, prefix: string) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        const result = await execute(`${prefix}-${i}`, `in-${i}`, taskQueue);
        if (result !== `in-${i}-done`) throw new Error(`wrong result ${String(result)}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, latencies: latencies.sort((a, b) => a - b) };
}

/** A worker for one phase: started, then stopped once its phase is measured. */
interface PhaseWorker {
  name: string;
  taskQueue: string;
  start(): Promise<{ stop(): Promise<void>; report?(): string }>;
}

const dir = mkdtempSync(join(tmpdir(), 'odin-bench-sdk-'));
const server = values.address
  ? undefined
  : await startDevServer({ port: 0, dbUrl: `sqlite:${join(dir, 'odin.db')}`, logLevel: 'error' });
const address = values.address ?? server?.address ?? '';
const bundle = await bundleWorkflowCode({
  workflowsPath: join(here, '..', 'workloads', 'workflows.ts'),
  logger: new DefaultLogger('ERROR'),
});

const officialConnection = await Connection.connect({ address });
const officialClient = new Client({ connection: officialConnection, namespace: 'default' });
const odinConnection = OdinConnection.connect({ address });
const odinClient = new WorkflowClient({ connection: odinConnection });

const execute: Execute =
  values.client === 'odin'
    ? (workflowId, input, taskQueue) => odinClient.execute('w1', { workflowId, taskQueue, args: [input] })
    : (workflowId, input, taskQueue) =>
        officialClient.workflow.execute('w1', { workflowId, taskQueue, args: [input] });

const workers: Record<string, PhaseWorker> = {
  official: {
    name: 'official worker (@temporalio/worker 1.24)',
    taskQueue: 'bench-sdk-official',
    async start() {
      const native = await NativeConnection.connect({ address });
      const worker = await Worker.create({
        connection: native,
        namespace: 'default',
        taskQueue: 'bench-sdk-official',
        workflowBundle: bundle,
        activities,
        maxConcurrentWorkflowTaskExecutions: 100,
        maxConcurrentActivityTaskExecutions: 100,
        // Same poller settings as bench/workloads, so the two benches compare like with like.
        maxConcurrentWorkflowTaskPolls: Number(process.env.BENCH_WFT_POLLS ?? 20),
        nonStickyToStickyPollRatio: Number(process.env.BENCH_POLL_RATIO ?? 0.5),
      });
      const running = worker.run();
      return {
        async stop() {
          worker.shutdown();
          await running;
          await native.close();
        },
      };
    },
  },
  odin: odinPhase('our worker (@odin/sdk)', 'bench-sdk-odin', 1000),
  'odin-replay': odinPhase('our worker, no run cache', 'bench-sdk-odin-replay', 0),
};

function odinPhase(name: string, taskQueue: string, maxCachedWorkflows: number): PhaseWorker {
  return {
    name,
    taskQueue,
    async start() {
      const worker = await OdinWorker.create({
        connection: odinConnection,
        taskQueue,
        workflows: odinWorkflows,
        activities,
        maxConcurrentWorkflowTasks: 100,
        maxConcurrentActivities: 100,
        workflowPollers: Number(process.env.BENCH_ODIN_WFT_POLLERS ?? 10),
        activityPollers: Number(process.env.BENCH_ODIN_ACTIVITY_POLLERS ?? 10),
        maxCachedWorkflows,
        ...(process.env.BENCH_ODIN_STICKY_POLLERS
          ? { stickyPollers: Number(process.env.BENCH_ODIN_STICKY_POLLERS) }
          : {}),
      });
      const running = worker.run();
      return {
        async stop() {
          worker.shutdown();
          await running;
        },
        report() {
          const s = worker.stats;
          const tasks = Math.max(1, s.workflowTasks);
          return (
            `  replay cost per workflow task: ${(s.historyEventsApplied / tasks).toFixed(1)} events applied, ` +
            `${(s.historyEventsReceived / tasks).toFixed(1)} received, ${(s.workflowTaskRunMs / tasks).toFixed(2)} ms in the runtime; ` +
            `${s.stickyWorkflowTasks}/${s.workflowTasks} tasks from the sticky queue, ${s.resumedWorkflowTasks} resumed from the cache, ` +
            `${s.fullHistoryFetches} full-history fetches, ${s.cacheEvictions} evictions`
          );
        },
      };
    },
  };
}

console.log(
  `W1 on ${server ? 'an in-process start-dev (SQLite file)' : address}, n=${N}, in-flight=${CONCURRENCY}, warm-up ${WARMUP}, ` +
    `client ${values.client === 'odin' ? '@odin/sdk' : '@temporalio/client'}`,
);
try {
  for (const key of values.order.split(',')) {
    const phase = workers[key];
    if (!phase) throw new Error(`unknown worker "${key}" in --order (official, odin, odin-replay)`);
    const worker = await phase.start();
    try {
      await drive(execute, phase.taskQueue, WARMUP, `warm-${key}`);
      const { seconds, latencies } = await drive(execute, phase.taskQueue, N, `run-${key}`);
      console.log(
        `${phase.name.padEnd(42)} ${(N / seconds).toFixed(0).padStart(5)} workflows/s, ` +
          `p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms`,
      );
      const report = worker.report?.();
      if (report) console.log(report);
    } finally {
      await worker.stop();
    }
  }
} finally {
  odinConnection.close();
  await officialConnection.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
}

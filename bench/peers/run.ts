// Odin's driver for the side-by-side peer benchmark (`ODIN_BENCH_CMD='npm run --silent bench:peers'` with
// `ODIN_CHECKOUT=. <bench-peers>/run.sh`): starts the built server in its own process — `server start-dev` on a SQLite
// file, then `server start` on the PostgreSQL database the peer script gives in PG_URL — and runs W1 and W2 through
// `@odin/sdk` (client and worker in this process, like the DBOS row's app process), checking every result. Prints one
// `RESULT` line per database and workload in the peer script's format, with the Odin server's CPU seconds.
//
// Environment: N (2000), CONCURRENCY (64), WARMUP (workflows run before each measured phase: the protocol's
// min(200, ⌈N/10⌉) unless set), PG_URL (PostgreSQL and the cluster run only when set), ODIN_PEERS_DBS
// (sqlite,postgres; also cluster-<history hosts>: the split cluster on PG_URL, every role its own process, CPU summed
// over all of them; and sqlite-memory, a diagnostic: start-dev on an in-memory database, nothing written to disk or
// synced, to set the same code without durability's I/O beside the sqlite rows), ODIN_PEERS_WORKLOADS (W1,W2),
// ODIN_PEERS_STEPS (activity,local: each workload runs once with its step as an activity, dispatched through the task
// queue, and once as a local activity, run by the worker inside the workflow task and recorded as a marker in the same
// commit as what follows it. The peers' steps, Restate's `ctx.run` and DBOS's `runStep`, run inline in the workflow's
// own process, as a local activity does; the local rows are named `<system>-local-step`), ODIN_BENCH_WORKFLOW_POLLERS
// (the worker's normal-queue workflow-task polls; the worker's default when unset), ODIN_BENCH_STICKY_POLLERS (its
// sticky-queue polls; likewise), ODIN_BENCH_WORKFLOW_SLOTS (its workflow-task slots, 100: every waiting poll holds one,
// so more polls want more), ODIN_PEERS_EAGER_START (1 by default: the client asks for eager workflow starts,
// `requestEagerStart`, as an application that starts workflows next to its own worker would, so the worker on the same
// connection gets each run's first workflow task from the start's answer instead of a poll; 0 starts every run through
// a poll; `INFO worker_tasks` counts them), ODIN_PEERS_MULTIPLEX (1 by default: the connection sends its calls on the
// frontend's multiplexed call stream; 0 makes each an HTTP/2 stream of its own, for comparison). Besides the RESULT
// lines it prints the servers' resident memory after warm-up and at the end, and after each tenth of the workflows
// (`INFO rss_timeline`; scale runs: N=20000 CONCURRENCY=512 show whether it levels off once the caches are full), with
// the V8 heap of one-process servers at the same moments (`INFO heap_timeline`: committed, in use, external), and an
// `INFO startup` line for start-dev: time from spawn to ready and idle RSS. For the cluster it also prints an `INFO
// cluster_cpu` line (CPU ms per workflow of each role's process), and ODIN_PEERS_CLUSTER_PROF_DIR=<dir> writes one
// `<host id>.cpuprofile` per role there. `INFO app_event_loop` is the share of the measured phase this process's event
// loop was busy (client and worker): well below 1, the app is not what bounds the run. `INFO workflow_task_delivery`
// (one-process servers, read from their /metrics) counts, per workflow of the phase, the workflow tasks matching
// delivered: `handoff` started in the transition that scheduled them, for a poll already waiting; `sync` and `backlog`
// went through matching and each cost a second transition to record its start. Not part of the tests.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { Connection, Worker, WorkflowClient } from '@odin/sdk';
import { freePort } from '@odin/test-ports';
import { startCluster, stopCluster } from '../cluster.js';
import * as activities from '../workloads/activities.js';
import * as workflows from '../sdk/workflows.js';
import { cpuSeconds } from '../proc-cpu.js';
import { cliPath, startDevArgs, startServer, stopServer } from '../server-process.js';

const N = Number(process.env.N ?? 2000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
// The peers' protocol warms up with min(200, ⌈N/10⌉) workflows (their README). A scale run may ask for more: V8 takes
// 20–40 s under load to settle the size of its heap (docs/performance.md, twentieth pass), so the protocol's warm-up
// leaves that settling inside the measured phase, and whether memory is flat after warm-up needs a longer one.
const WARMUP =
  process.env.WARMUP === undefined ? Math.min(200, Math.ceil(N / 10)) : Number(process.env.WARMUP);
if (!Number.isSafeInteger(WARMUP) || WARMUP < 0)
  throw new Error(`WARMUP must be a whole number of workflows, not "${process.env.WARMUP}"`);
const RUN_TAG = process.env.RUN_TAG ?? `run${Date.now()}`;
const DBS = (process.env.ODIN_PEERS_DBS ?? 'sqlite,postgres').split(',');
const WORKLOADS = (process.env.ODIN_PEERS_WORKLOADS ?? 'W1,W2').split(',');
const STEPS = (process.env.ODIN_PEERS_STEPS ?? 'activity,local').split(',');
for (const step of STEPS)
  if (step !== 'activity' && step !== 'local')
    throw new Error(`unknown step "${step}" in ODIN_PEERS_STEPS (activity, local)`);
const TASK_QUEUE = 'bench-peers-odin';
const EAGER_START = process.env.ODIN_PEERS_EAGER_START !== '0';
const MULTIPLEX = process.env.ODIN_PEERS_MULTIPLEX !== '0';
const SUFFIX = '-done';
const CLK_TCK = 100;

/** Resident set size of one process in MiB (VmRSS), and its peak so far (VmHWM). */
function residentMiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

/** Busy seconds of the whole machine (everything but idle and iowait). */
function machineBusySeconds(): number {
  const v = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = v;
  return (user + nice + system + irq + softirq + steal) / CLK_TCK;
}

function selfCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Nearest-rank percentile, as the peer script computes it. */
function percentile(sorted: number[], p: number): number {
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? Number.NaN;
}

function format(value: number | string): string {
  if (typeof value !== 'number') return value;
  return Number.isInteger(value) ? String(value) : value.toFixed(value >= 100 ? 1 : 2);
}

function resultLine(fields: Record<string, number | string>): string {
  return `RESULT ${Object.entries(fields)
    .map(([k, v]) => `${k}=${format(v)}`)
    .join(' ')}`;
}

async function run(command: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn(process.execPath, [cliPath, ...command], {
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`hugo-orchestrator ${command.join(' ')} exited ${code}`);
}

interface Phase {
  wallS: number;
  latencies: number[];
  errors: number;
}

async function closedLoop(
  count: number,
  runOne: (i: number) => Promise<unknown>,
  tag: string,
  onTenth?: () => void,
): Promise<Phase> {
  const latencies: number[] = [];
  const tenth = Math.max(1, Math.floor(count / 10));
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, count) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= count) return;
        const started = performance.now();
        try {
          const result = await runOne(i);
          if (result !== `${tag}-${i}${SUFFIX}`) errors++;
        } catch (error) {
          errors++;
          if (errors === 1) console.error(`workflow ${i} failed:`, error);
        }
        latencies.push(performance.now() - started);
        if (latencies.length % tenth === 0) onTenth?.();
      }
    }),
  );
  return { wallS: (performance.now() - t0) / 1000, latencies: latencies.sort((a, b) => a - b), errors };
}

async function measure(
  systemBase: string,
  servers: ChildProcess[],
  address: string,
  databaseBytes: () => number,
  serverNames?: string[],
  metricsPort?: number,
) {
  const serverCpuSeconds = () => servers.reduce((sum, server) => sum + cpuSeconds(server.pid!), 0);
  const serverMiB = () =>
    servers.reduce(
      (sum, server) => {
        const { rss, peak } = residentMiB(server.pid!);
        return { rss: sum.rss + rss, peak: sum.peak + peak };
      },
      { rss: 0, peak: 0 },
    );
  const connection = Connection.connect({ address, multiplex: MULTIPLEX });
  const client = new WorkflowClient({ connection });
  const worker = await Worker.create({
    connection,
    taskQueue: TASK_QUEUE,
    workflows,
    activities,
    maxConcurrentWorkflowTasks: Number(process.env.ODIN_BENCH_WORKFLOW_SLOTS ?? 100),
    maxConcurrentActivities: 100,
    // Workflow-task polls of the normal and the sticky queue; the worker's defaults when unset.
    ...(process.env.ODIN_BENCH_WORKFLOW_POLLERS
      ? { workflowPollers: Number(process.env.ODIN_BENCH_WORKFLOW_POLLERS) }
      : {}),
    ...(process.env.ODIN_BENCH_STICKY_POLLERS
      ? { stickyPollers: Number(process.env.ODIN_BENCH_STICKY_POLLERS) }
      : {}),
  });
  const running = worker.run();
  try {
    for (const [workload, step] of WORKLOADS.flatMap((w) => STEPS.map((step) => [w, step] as const))) {
      const type = `${workload.toLowerCase()}${step === 'local' ? 'local' : ''}`;
      const system = step === 'local' ? `${systemBase}-local-step` : systemBase;
      const start = (tag: string) => (i: number) =>
        client.execute(type, {
          workflowId: `${tag}-${i}`,
          taskQueue: TASK_QUEUE,
          args: [`${tag}-${i}`],
          ...(EAGER_START ? { requestEagerStart: true } : {}),
        });
      const warmTag = `${RUN_TAG}-${system}-${workload}-warm`;
      await closedLoop(WARMUP, start(warmTag), warmTag);
      const tag = `${RUN_TAG}-${system}-${workload}`;
      const bytesBefore = databaseBytes();
      const serverBefore = serverCpuSeconds();
      const perServerBefore = servers.map((server) => cpuSeconds(server.pid!));
      const rssAfterWarmUp = serverMiB().rss;
      const appBefore = selfCpuSeconds();
      const tasksBefore = worker.stats;
      const deliveryBefore =
        metricsPort === undefined ? undefined : await workflowTaskDeliveries(metricsPort);
      const machineBefore = machineBusySeconds();
      // Resident memory after each tenth of the workflows: whether it levels off once the caches are full.
      const rssTimeline: number[] = [];
      // With it, V8's heap at the same moments: what of the RSS is the JavaScript heap V8 keeps, and what is native.
      const heapTimeline: Promise<V8Heap>[] = [];
      const loopBefore = performance.eventLoopUtilization();
      const phase = await closedLoop(N, start(tag), tag, () => {
        rssTimeline.push(Math.round(serverMiB().rss));
        if (metricsPort !== undefined) heapTimeline.push(v8Heap(metricsPort));
      });
      const serverCpu = serverCpuSeconds() - serverBefore;
      const memory = serverMiB();
      const bytesAfter = databaseBytes();
      console.log(
        resultLine({
          system,
          workload,
          n: N,
          conc: CONCURRENCY,
          wall_s: phase.wallS,
          wf_per_s: N / phase.wallS,
          p50_ms: percentile(phase.latencies, 50),
          p99_ms: percentile(phase.latencies, 99),
          max_ms: phase.latencies[phase.latencies.length - 1] ?? Number.NaN,
          errors: phase.errors,
          server_cpu_s: serverCpu,
          server_cpu_ms_per_wf: (serverCpu * 1000) / N,
          app_cpu_s: selfCpuSeconds() - appBefore,
          machine_cpu_s: machineBusySeconds() - machineBefore,
          ...(bytesAfter > 0 ? { db_bytes_per_wf: Math.round((bytesAfter - bytesBefore) / N) } : {}),
          rss_mb_warm: Math.round(rssAfterWarmUp),
          rss_mb_end: Math.round(memory.rss),
          rss_mb_peak: Math.round(memory.peak),
        }),
      );
      console.log(`INFO rss_timeline system=${system} workload=${workload} mb=${rssTimeline.join(',')}`);
      if (heapTimeline.length > 0) {
        const heaps = await Promise.all(heapTimeline);
        const list = (pick: (h: V8Heap) => number) => heaps.map((h) => Math.round(pick(h))).join(',');
        console.log(
          `INFO heap_timeline system=${system} workload=${workload} committed_mb=${list((h) => h.committed)} used_mb=${list((h) => h.used)} external_mb=${list((h) => h.external)}`,
        );
      }
      console.log(
        `INFO app_event_loop system=${system} workload=${workload} utilization=${performance.eventLoopUtilization(loopBefore).utilization.toFixed(2)}`,
      );
      const tasks = worker.stats;
      console.log(
        `INFO worker_tasks system=${system} workload=${workload} eager_start=${EAGER_START ? 1 : 0} multiplex=${connection.multiplexing ? 1 : 0} workflow_tasks=${tasks.workflowTasks - tasksBefore.workflowTasks} eager_workflow_tasks=${tasks.eagerWorkflowTasks - tasksBefore.eagerWorkflowTasks} sticky_workflow_tasks=${tasks.stickyWorkflowTasks - tasksBefore.stickyWorkflowTasks}`,
      );
      if (deliveryBefore && metricsPort !== undefined) {
        const after = await workflowTaskDeliveries(metricsPort);
        const perWorkflow = [...after]
          .map(
            ([delivery, count]) => `${delivery}=${format((count - (deliveryBefore.get(delivery) ?? 0)) / N)}`,
          )
          .join(' ');
        console.log(`INFO workflow_task_delivery system=${system} workload=${workload} ${perWorkflow}`);
      }
      if (serverNames)
        console.log(
          `INFO cluster_cpu system=${system} workload=${workload} ${servers
            .map(
              (server, i) =>
                `${serverNames[i]}_ms_per_wf=${format(((cpuSeconds(server.pid!) - perServerBefore[i]!) * 1000) / N)}`,
            )
            .join(' ')}`,
        );
      if (phase.errors > 0) process.exitCode = 1;
    }
  } finally {
    worker.shutdown();
    await running;
    connection.close();
  }
}

/** The server's /metrics page, as Prometheus would scrape it. */
async function serverMetrics(metricsPort: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
}

/** Workflow tasks matching has delivered so far, by delivery (handoff, sync, backlog), from the server's /metrics. */
async function workflowTaskDeliveries(metricsPort: number): Promise<Map<string, number>> {
  const text = await serverMetrics(metricsPort);
  const counts = new Map<string, number>([
    ['handoff', 0],
    ['sync', 0],
    ['backlog', 0],
  ]);
  for (const m of text.matchAll(
    /^matching_tasks_added_total\{task_type="workflow",delivery="(\w+)"\} (\d+)/gm,
  ))
    counts.set(m[1]!, Number(m[2]));
  return counts;
}

/**
 * The server's V8 heap in MiB, from its /metrics: `committed` is what V8 holds from the system for the JavaScript heap
 * (heap_total), `used` what objects occupy at that moment, garbage not yet collected included, `external` the memory
 * outside the heap that its objects own (array buffers and the like).
 */
interface V8Heap {
  committed: number;
  used: number;
  external: number;
}

async function v8Heap(metricsPort: number): Promise<V8Heap> {
  const text = await serverMetrics(metricsPort);
  const mib = (name: string) =>
    Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN) / 2 ** 20;
  return {
    committed: mib('nodejs_heap_size_total_bytes'),
    used: mib('nodejs_heap_size_used_bytes'),
    external: mib('nodejs_external_memory_bytes'),
  };
}

/**
 * The database's logical size (pages × page size) as a reader sees it, committed frames still in the WAL included:
 * the files' sizes would count the WAL, whose file keeps the size of its largest cycle (up to the auto-checkpoint
 * threshold), and leave out pages not yet copied back into the database file.
 */
function databaseBytes(file: string): number {
  const reader = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const pages = reader.pragma('page_count', { simple: true }) as number;
    const pageSize = reader.pragma('page_size', { simple: true }) as number;
    return pages * pageSize;
  } finally {
    reader.close();
  }
}

const baseEnv = { ...process.env, HUGO_ORCHESTRATOR_LOG_LEVEL: 'warn' };
/** The one-process servers' metrics port, read for `INFO workflow_task_delivery`. */
const metricsPort = await freePort();
const metricsEnv = { ...baseEnv, HUGO_ORCHESTRATOR_METRICS_PORT: String(metricsPort) };
for (const db of DBS) {
  if (db === 'sqlite' || db === 'sqlite-memory') {
    // sqlite-memory: a diagnostic, not a configuration to compare with the peers: start-dev on an in-memory database
    // writes nothing to disk and syncs nothing, so its rows show what durability's I/O costs the same code.
    const memory = db === 'sqlite-memory';
    const system = memory ? 'odin-sdk-sqlite-memory' : 'odin-sdk-sqlite';
    const dir = memory ? undefined : mkdtempSync(join(tmpdir(), 'odin-bench-peers-'));
    const file = dir === undefined ? ':memory:' : join(dir, 'odin.db');
    const port = await freePort();
    const args = startDevArgs(port, file);
    const spawnedAt = performance.now();
    const server = await startServer(args, metricsEnv);
    const readyMs = performance.now() - spawnedAt;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    console.log(
      `INFO startup system=${system} ready_ms=${Math.round(readyMs)} idle_rss_mb=${Math.round(residentMiB(server.pid!).rss)}`,
    );
    try {
      await measure(
        system,
        [server],
        `127.0.0.1:${port}`,
        memory ? () => 0 : () => databaseBytes(file),
        undefined,
        metricsPort,
      );
    } finally {
      await stopServer(server);
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
  } else if (db === 'postgres') {
    const url = process.env.PG_URL;
    if (!url) {
      console.error('PG_URL is not set: skipping PostgreSQL');
      continue;
    }
    const env = { ...metricsEnv, HUGO_ORCHESTRATOR_DB_CONNECTION: url };
    await run(['db', 'migrate'], env);
    const port = await freePort();
    const server = await startServer(['server', 'start', '--port', String(port), '--http-port', '0'], env);
    try {
      await measure('odin-sdk-pg', [server], `127.0.0.1:${port}`, () => 0, undefined, metricsPort);
    } finally {
      await stopServer(server);
    }
  } else if (/^cluster-\d+$/.test(db)) {
    const url = process.env.PG_URL;
    if (!url) {
      console.error(`PG_URL is not set: skipping ${db}`);
      continue;
    }
    const port = await freePort();
    const historyHosts = Number(db.slice(8));
    const profileDir = process.env.ODIN_PEERS_CLUSTER_PROF_DIR;
    const hosts = await startCluster({
      dbUrl: url,
      frontendPort: port,
      historyHosts,
      ...(profileDir
        ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, '--cpu-prof-name={host}.cpuprofile'] }
        : {}),
    });
    const names = [
      ...Array.from({ length: historyHosts }, (_, i) => `history-${i + 1}`),
      'matching',
      'worker',
      'frontend',
    ];
    try {
      await measure(`odin-sdk-${db}`, hosts, `127.0.0.1:${port}`, () => 0, names);
    } finally {
      await stopCluster(hosts);
    }
  } else {
    throw new Error(
      `unknown database "${db}" in ODIN_PEERS_DBS (sqlite, sqlite-memory, postgres, cluster-<n>)`,
    );
  }
}

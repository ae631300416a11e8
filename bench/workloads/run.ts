// Issue 4's workloads against an Odin server process, driven by the official Temporal SDK:
//   node --conditions=@odin/source --import tsx bench/workloads/run.ts [--db sqlite,postgres,cluster-1,cluster-3]
//                                                     [--workload W1,W2] [--n 2000] [--concurrency 64]
//                                                     [--client grpc|native] [--step activity|local]
// With the server on a core of its own: BENCH_SERVER_CPUS=0 taskset -c 1 node … bench/workloads/run.ts …
// cluster-N: the split cluster on PostgreSQL, every role its own process (N history hosts, one matching host, one
// frontend, one system worker). Every server runs the built CLI in packages/cli/dist: run `npx tsc -b` first.
// W1: a workflow calling one activity that returns its input plus a suffix. W2: W1 after a 100 ms durable sleep.
// Prints workflows/s, p50/p99 latency from start to result, the server processes' CPU seconds, the SDK process's CPU
// by thread, the CPU of each per workflow with the SDK-only ceiling (the cores ÷ the SDK's CPU per workflow) and the
// share of it reached, and (one-process server) the frontend RPCs per workflow, the server's share of a workflow's
// time and its group commits per workflow with their mean duration, all read from its /metrics.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createDatabaseIfMissing, dropDatabase } from '@odin/server';
import { databaseOn, PG_ADMIN_URL } from '@odin/test-databases';
import { freePort } from '@odin/test-ports';
import { startCluster } from '../cluster.js';
import * as activities from './activities.js';
import { cpuSeconds } from '../proc-cpu.js';
import { serverCommand, serverNodeArgs } from '../server-process.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '..', '..');
const { values } = parseArgs({
  options: {
    db: { type: 'string', default: 'sqlite,postgres' },
    workload: { type: 'string', default: 'W1,W2' },
    n: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '64' },
    // Workflows run before each measured phase; by default min(200, ⌈n/10⌉), the peers' protocol
    // (../shared/bench-peers/README.md) that bench/peers/run.ts follows too.
    warmup: { type: 'string' },
    // grpc: the client on its own @grpc/grpc-js Connection (the SDK's default). native: the client on the worker's
    // NativeConnection with requestEagerStart, so the first workflow task comes back in the start response.
    client: { type: 'string', default: 'grpc' },
    // activity: the step is an activity, dispatched through the task queue. local: a local activity, run by the
    // worker inside the workflow task (the shape of the peers' inline steps; bench/peers/run.ts runs both).
    step: { type: 'string', default: 'activity' },
  },
});
if (!['grpc', 'native'].includes(values.client))
  throw new Error(`--client ${values.client}: use grpc or native`);
if (!['activity', 'local'].includes(values.step))
  throw new Error(`--step ${values.step}: use activity or local`);
// taskset wraps the one-process server only (bench/server-process.ts); the cluster's hosts start without it.
if (process.env.BENCH_SERVER_CPUS && values.db.split(',').some((db) => db.startsWith('cluster-')))
  throw new Error(
    'BENCH_SERVER_CPUS applies to the one-process server only: leave out the cluster-N databases',
  );
const EAGER_START = values.client === 'native';
const N = Number(values.n);
const CONCURRENCY = Number(values.concurrency);
const WARMUP = values.warmup === undefined ? Math.min(200, Math.ceil(N / 10)) : Number(values.warmup);

Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [] });

/**
 * The built CLI (`npx tsc -b` first), as the peer script and bench/cluster.ts start it: the server's CPU is then
 * what a deployment spends, without tsx's transform of every module (which also wraps every function it creates).
 */
async function startServer(dbUrl: string, port: number, metricsPort: number) {
  const env = {
    ...process.env,
    HUGO_ORCHESTRATOR_DB_CONNECTION: dbUrl,
    HUGO_ORCHESTRATOR_LOG_LEVEL: 'error',
    HUGO_ORCHESTRATOR_METRICS_PORT: String(metricsPort),
  };
  const node = (args: string[]) =>
    spawn(...serverCommand(args), {
      cwd: repo,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
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
        // The benchmark speaks gRPC only; fixed HTTP API / UI ports could collide with a dev server left running.
        '--http-port',
        '0',
        '--headless',
      ]
    : ['server', 'start', '--port', String(port), '--http-port', '0'];
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

/**
 * Counters of the server's Prometheus endpoint the bench reports per workflow: RPCs served by method (`calls:<method>`),
 * their latency in seconds (`seconds:<method>`), replays, the workflow tasks matching delivered by way (`handoff`:
 * started in the transition that scheduled them; `sync` and `backlog`: a second transition recorded the start), and
 * the time workflow tasks waited for a poll by queue (`queued:<queue>` seconds over `tasks:<queue>`; every sticky
 * queue is `__sticky__`).
 */
async function serverCounters(metricsPort: number): Promise<Map<string, number>> {
  const counters = new Map<string, number>();
  const add = (key: string, value: string) => counters.set(key, (counters.get(key) ?? 0) + Number(value));
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  for (const m of text.matchAll(/^rpc_requests_total\{[^}]*method="(\w+)"[^}]*\} (\d+)/gm))
    add(`calls:${m[1]}`, m[2]!);
  for (const m of text.matchAll(/^rpc_latency_seconds_sum\{[^}]*method="(\w+)"[^}]*\} ([\d.e+-]+)/gm)) {
    add(`seconds:${m[1]}`, m[2]!);
  }
  for (const m of text.matchAll(
    /^persistence_latency_seconds_(sum|count)\{operation="commit_shard_batch"\} ([\d.e+-]+)/gm,
  ))
    add(m[1] === 'sum' ? 'seconds:(commits)' : 'calls:(commits)', m[2]!);
  for (const m of text.matchAll(/^workflow_replay_count\{[^}]*\} (\d+)/gm)) add('calls:(replays)', m[1]!);
  // Group commits' queues: how many transitions each carried and how long a transition waited for one to start.
  for (const m of text.matchAll(
    /^persistence_commit_(transitions|queue_seconds)_(sum|count)(?:\{[^}]*\})? (\S+)/gm,
  ))
    add(`${m[2]}:(commit ${m[1]})`, m[3]!);
  for (const m of text.matchAll(
    /^matching_tasks_added_total\{task_type="workflow",delivery="(\w+)"\} (\d+)/gm,
  ))
    add(`calls:(workflow tasks, ${m[1]})`, m[2]!);
  for (const m of text.matchAll(
    /^task_queue_latency_seconds_(sum|count)\{queue_name="([^"]+)",task_type="workflow"\} ([\d.e+-]+)/gm,
  )) {
    add(`${m[1] === 'sum' ? 'queued' : 'tasks'}:${m[2]}`, m[3]!);
  }
  return counters;
}

/**
 * Where a workflow's time goes on the server, from the counters' growth over the phase: the mean latency of each
 * RPC that answers at once, times the calls per workflow, and how long workflow tasks waited for a worker's poll.
 * Long polls (PollWorkflowTaskQueue, GetWorkflowExecutionHistory) are left out: they wait for the worker or the
 * workflow, not for the server.
 */
function serverTime(
  before: Map<string, number>,
  after: Map<string, number>,
  n: number,
  meanLatencyMs: number,
) {
  const grown = (key: string) => (after.get(key) ?? 0) - (before.get(key) ?? 0);
  const immediate = [
    'StartWorkflowExecution',
    'RespondWorkflowTaskCompleted',
    'RespondActivityTaskCompleted',
  ];
  let totalMs = 0;
  const parts: string[] = [];
  for (const method of immediate) {
    const calls = grown(`calls:${method}`);
    if (calls === 0) continue;
    const meanMs = (grown(`seconds:${method}`) * 1000) / calls;
    totalMs += (meanMs * calls) / n;
    parts.push(`${method} ${(calls / n).toFixed(1)} × ${meanMs.toFixed(1)} ms`);
  }
  const commits = grown('calls:(commits)');
  const batches = grown('count:(commit transitions)');
  const waits = grown('count:(commit queue_seconds)');
  const commitTime =
    commits > 0
      ? `; group commits per workflow ${(commits / n).toFixed(2)}, ${((grown('seconds:(commits)') * 1000) / commits).toFixed(1)} ms each` +
        (batches > 0
          ? `, ${(grown('sum:(commit transitions)') / batches).toFixed(1)} transitions each`
          : '') +
        (waits > 0
          ? `, a transition queued ${((grown('sum:(commit queue_seconds)') * 1000) / waits).toFixed(1)} ms for one`
          : '')
      : '';
  const queues = [...after.keys()]
    .filter((key) => key.startsWith('tasks:'))
    .map((key) => key.slice('tasks:'.length))
    .filter((queue) => grown(`tasks:${queue}`) > 0)
    .map(
      (queue) => `${queue} ${((grown(`queued:${queue}`) * 1000) / grown(`tasks:${queue}`)).toFixed(0)} ms`,
    );
  return (
    `${parts.join(', ')}: ${totalMs.toFixed(0)} ms of a ${meanLatencyMs.toFixed(0)} ms mean workflow ` +
    `(${((100 * totalMs) / meanLatencyMs).toFixed(0)} %); a workflow task waited for a poll on average: ${queues.join(', ')}${commitTime}`
  );
}

/** CPU seconds of this process's threads, summed by thread name (main JS thread, workflow threads, Rust core). */
function threadCpu(): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      const label = tid === String(process.pid) ? 'main' : name;
      byName.set(label, (byName.get(label) ?? 0) + cpuSeconds(Number(tid), `/proc/self/task/${tid}/stat`));
    } catch {
      // the thread ended between listing and reading
    }
  }
  return byName;
}

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
          ...(EAGER_START ? { requestEagerStart: true } : {}),
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
      : db !== 'postgres' && !db.startsWith('cluster-')
        ? (() => {
            throw new Error(`--db ${db}: use sqlite, postgres or cluster-<history hosts>`);
          })()
        : databaseOn(PG_ADMIN_URL, name);
  await createDatabaseIfMissing(dbUrl);
  const port = await freePort();
  const metricsPort = await freePort();
  const clusterHosts = /^cluster-(\d+)$/.exec(db);
  const servers = clusterHosts
    ? await startCluster({
        dbUrl,
        frontendPort: port,
        historyHosts: Number(clusterHosts[1]),
        nodeArgs: serverNodeArgs,
      })
    : [await startServer(dbUrl, port, metricsPort)];
  const serverCpu = () => servers.reduce((sum, s) => sum + cpuSeconds(s.pid!), 0);
  const address = `127.0.0.1:${port}`;
  const native = await NativeConnection.connect({ address });
  const connection = EAGER_START ? undefined : await Connection.connect({ address });
  const client = new Client({ connection: connection ?? native, namespace: 'default' });
  const taskQueue = 'bench';
  const worker = await Worker.create({
    connection: native,
    namespace: 'default',
    taskQueue,
    workflowBundle: bundle,
    activities,
    maxConcurrentWorkflowTaskExecutions: 100,
    maxConcurrentActivityTaskExecutions: 100,
    // More workflow-task polls than the SDK's default of 10, half of them on the sticky queue (its default sends
    // 80 % there). A task that finds a poll waiting is started in the transition that schedules it; one that waits
    // for a poll costs the server a transition and a commit of its own. With a single sticky poll (ratio 1, this
    // bench's setting until the twenty-ninth pass) most sticky tasks waited: 1.6 group commits per W1 workflow and
    // 2.70-2.77 ms of server CPU, against 1.0-1.15 and 2.37-2.45 ms with this split, at 180-183 wf/s against 173-177
    // (docs/performance.md, twenty-ninth pass).
    maxConcurrentWorkflowTaskPolls: Number(process.env.BENCH_WFT_POLLS ?? 20),
    nonStickyToStickyPollRatio: Number(process.env.BENCH_POLL_RATIO ?? 0.5),
  });
  const running = worker.run();
  try {
    for (const workload of values.workload.split(',')) {
      const type = `${workload.toLowerCase()}${values.step === 'local' ? 'local' : ''}`;
      await drive(client, taskQueue, type, WARMUP, `warm-${type}`);
      const cpuBefore = serverCpu();
      const perHostBefore = servers.map((s) => cpuSeconds(s.pid!));
      const sdkBefore = process.cpuUsage();
      const threadsBefore = threadCpu();
      const countersBefore = clusterHosts ? undefined : await serverCounters(metricsPort);
      const { seconds, latencies } = await drive(client, taskQueue, type, N, `run-${type}`);
      const cpu = serverCpu() - cpuBefore;
      // This process is the official SDK's client and worker (its Rust core threads included): the other half of
      // the CPU bill on the same cores, and what bounds throughput once the server is cheap.
      const sdkUsage = process.cpuUsage(sdkBefore);
      const sdkCpu = (sdkUsage.user + sdkUsage.system) / 1e6;
      const threads = [...threadCpu()]
        .map(([name, sec]) => [name, sec - (threadsBefore.get(name) ?? 0)] as const)
        .filter(([, sec]) => sec >= 0.05)
        .sort((a, b) => b[1] - a[1])
        .map(([name, sec]) => `${name} ${sec.toFixed(1)}`)
        .join(', ');
      const cores = availableParallelism();
      const ceiling = (cores * N) / (cpu + sdkCpu);
      const perHost = servers.map((s, i) => (cpuSeconds(s.pid!) - perHostBefore[i]!).toFixed(1));
      console.log(
        `${workload} ${db.padEnd(9)} client=${values.client} step=${values.step} n=${N} in-flight=${CONCURRENCY}: ` +
          `${(N / seconds).toFixed(0)} workflows/s, ` +
          `p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms, ` +
          `server CPU ${cpu.toFixed(1)} s, SDK client+worker CPU ${sdkCpu.toFixed(1)} s ` +
          (process.env.BENCH_SERVER_CPUS
            ? `(the server on CPUs ${process.env.BENCH_SERVER_CPUS} of its own, this process on ${cores})`
            : `(CPU-bound ceiling on ${cores} cores: ${ceiling.toFixed(0)}/s)`) +
          (servers.length > 1 ? ` (history…, matching, worker, frontend: ${perHost.join(' + ')})` : ''),
      );
      console.log(`   SDK CPU by thread: ${threads}`);
      // Issue 14's third bar: the throughput the SDK alone would allow on these cores (its own CPU per workflow, the
      // server costing nothing), and the share of it reached. The ceiling above charges the server's CPU too. On
      // cores the server shares, the share reached cannot pass the SDK's part of the CPU bill (SDK ÷ (SDK +
      // server)); run this process under `taskset -c 1` with BENCH_SERVER_CPUS=0 to give the server a core of its
      // own and see whether it is what bounds the SDK.
      const sdkOnly = (cores * N) / sdkCpu;
      console.log(
        `   server ${((cpu * 1000) / N).toFixed(2)} ms and SDK ${((sdkCpu * 1000) / N).toFixed(2)} ms of CPU per ` +
          `workflow; SDK-only ceiling ${sdkOnly.toFixed(0)}/s, reached ${((100 * N) / seconds / sdkOnly).toFixed(0)} %`,
      );
      if (countersBefore) {
        const counters = await serverCounters(metricsPort);
        const perWorkflow = [...counters]
          .filter(([key]) => key.startsWith('calls:'))
          .map(
            ([key, count]) =>
              [key.slice('calls:'.length), (count - (countersBefore.get(key) ?? 0)) / N] as const,
          )
          .filter(([, count]) => count > 0)
          .map(([method, count]) => `${method} ${count.toFixed(2)}`)
          .join(', ');
        console.log(`   frontend RPCs per workflow: ${perWorkflow}`);
        const meanMs = latencies.reduce((sum, ms) => sum + ms, 0) / latencies.length;
        console.log(`   server time per workflow: ${serverTime(countersBefore, counters, N, meanMs)}`);
      }
    }
  } finally {
    worker.shutdown();
    await running;
    await native.close();
    await connection?.close();
    await Promise.all(
      servers.reverse().map(async (server) => {
        server.kill('SIGTERM');
        await new Promise((r) => server.once('exit', r));
      }),
    );
    await dropDatabase(dbUrl).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

// Where a workflow's time goes, read from its own history: `npm run --silent bench -- --built workflow-path/run.ts`
// (`npx tsc -b` first). Starts `server start-dev` on a SQLite file (or `server start` on PG_URL) in its own process,
// runs N workflows of TYPE (a workflow of bench/sdk/workflows.ts: w1, w2, w1local, w2local) through `@odin/sdk` with
// CONCURRENCY in flight and eager starts, as the peers driver does, then reads the history of every tenth and prints
// the mean, median and p99 time between each event and the next: from the client's start to the first event, and from
// the last to the client's result; beside them each gap's mean over the slowest 1 % of those workflows, to show what
// makes the tail. An event's time is when its transition was built, before its commit, so a gap holds the commit of the
// earlier transition, the answer's way to the worker or client, what they did, and the next call's way in. Event times
// have millisecond resolution. Environment: TYPE (w2local), N (2000), CONCURRENCY (64), SAMPLE_EVERY (10: every tenth
// workflow's history is read; 1 reads all), PG_URL (when set: `server start` on that PostgreSQL database, migrated
// first, instead of start-dev on a SQLite file), SQLITE_MEMORY=1 (a diagnostic: start-dev on an in-memory database,
// nothing written to disk or synced, to see which gaps durability's I/O is part of). Not part of the tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { temporal } from '@odin/api/public';
import type { IHistoryEvent } from '@odin/sdk';
import { freePort } from '@odin/test-ports';
import { startLocalWorker } from '../sdk/local-worker.js';
import { cliPath, startDevArgs, startServer, stopServer } from '../server-process.js';

const TYPE = process.env.TYPE ?? 'w2local';
const N = Number(process.env.N ?? 2000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
const TASK_QUEUE = 'bench-workflow-path';
/** Every SAMPLE_EVERY-th workflow's history is read (1: all of them, for a tail made of more than a few). */
const SAMPLE_EVERY = Number(process.env.SAMPLE_EVERY ?? 10);
const EventType = temporal.api.enums.v1.EventType;

interface Timed {
  workflowId: string;
  startedAt: number;
  answeredAt: number;
}

const PG_URL = process.env.PG_URL;
/** The folder of the SQLite file; none for PostgreSQL or an in-memory database. */
const dir =
  PG_URL === undefined && process.env.SQLITE_MEMORY !== '1'
    ? mkdtempSync(join(tmpdir(), 'odin-workflow-path-'))
    : undefined;
const port = await freePort();
const serverEnv = {
  ...process.env,
  HUGO_ORCHESTRATOR_LOG_LEVEL: 'warn',
  ...(PG_URL === undefined ? {} : { HUGO_ORCHESTRATOR_DB_CONNECTION: PG_URL }),
};
if (PG_URL !== undefined)
  execFileSync(process.execPath, [cliPath, 'db', 'migrate'], { env: serverEnv, stdio: 'inherit' });
const server = await startServer(
  PG_URL === undefined
    ? startDevArgs(port, dir === undefined ? ':memory:' : join(dir, 'odin.db'))
    : ['server', 'start', '--port', String(port), '--http-port', '0'],
  serverEnv,
);
const { client, stop } = await startLocalWorker(`127.0.0.1:${port}`, TASK_QUEUE);

/** A closed loop of `count` workflows, CONCURRENCY in flight; the wall-clock times of each one's start and result. */
async function closedLoop(count: number, tag: string): Promise<Timed[]> {
  const timed: Timed[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONCURRENCY, count) }, async () => {
      for (let i = next++; i < count; i = next++) {
        const workflowId = `${tag}-${i}`;
        // Wall-clock time, as the server stamps its events (same machine).
        const startedAt = Date.now();
        const result = await client.execute(TYPE, {
          workflowId,
          taskQueue: TASK_QUEUE,
          args: [workflowId],
          requestEagerStart: true,
        });
        if (result !== `${workflowId}-done`) throw new Error(`${workflowId} returned ${String(result)}`);
        timed.push({ workflowId, startedAt, answeredAt: Date.now() });
      }
    }),
  );
  return timed;
}

/** The nearest-rank percentile `q` of an ascending list. */
function nearestRank(sorted: number[], q: number): number {
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

function millis(time: IHistoryEvent['eventTime']): number {
  return Number(time?.seconds ?? 0) * 1000 + (time?.nanos ?? 0) / 1e6;
}

try {
  await closedLoop(Math.min(200, Math.ceil(N / 10)), 'warm');
  const began = performance.now();
  const timed = await closedLoop(N, 'measured');
  console.log(
    `${TYPE}: ${N} workflows, ${CONCURRENCY} in flight, ${(N / ((performance.now() - began) / 1000)).toFixed(0)}/s`,
  );
  // Each sampled workflow's gaps in order, then per gap: mean, median and p99 over all of them, and the mean over
  // the slowest 1 % (by their whole time) to show which gaps make the tail.
  const paths: { total: number; gaps: [string, number][] }[] = [];
  for (const run of timed.filter((_, i) => i % SAMPLE_EVERY === 0)) {
    const gaps: [string, number][] = [];
    let previous = { name: 'client start', at: run.startedAt };
    for (const event of await client.fetchHistory(run.workflowId)) {
      const name = (EventType[event.eventType ?? 0] ?? String(event.eventType)).replace(/^EVENT_TYPE_/, '');
      gaps.push([`${previous.name} → ${name}`, millis(event.eventTime) - previous.at]);
      previous = { name, at: millis(event.eventTime) };
    }
    gaps.push([`${previous.name} → client result`, run.answeredAt - previous.at]);
    paths.push({ total: run.answeredAt - run.startedAt, gaps });
  }
  paths.sort((a, b) => a.total - b.total);
  const slowest = paths.slice(Math.floor(paths.length * 0.99));
  const byGap = (sample: typeof paths) => {
    const gaps = new Map<string, number[]>();
    for (const path of sample)
      for (const [key, ms] of path.gaps) {
        const list = gaps.get(key) ?? [];
        list.push(ms);
        gaps.set(key, list);
      }
    return gaps;
  };
  const slow = byGap(slowest);
  const meanOf = (list: number[] | undefined) =>
    list === undefined ? 0 : list.reduce((sum, ms) => sum + ms, 0) / list.length;
  let total = 0;
  for (const [key, list] of byGap(paths)) {
    list.sort((a, b) => a - b);
    const mean = meanOf(list);
    total += (mean * list.length) / paths.length;
    console.log(
      `${mean.toFixed(1).padStart(7)} ms mean ${list[list.length >> 1]!.toFixed(1).padStart(7)} ms p50 ` +
        `${nearestRank(list, 0.99).toFixed(1).padStart(7)} ms p99 ${meanOf(slow.get(key)).toFixed(1).padStart(7)} ms ` +
        `in the slowest 1 %  ×${list.length}  ${key}`,
    );
  }
  console.log(`${total.toFixed(1).padStart(7)} ms per workflow in all`);
  const slowestMean = meanOf(slowest.map((path) => path.total));
  console.log(
    `${slowestMean.toFixed(1).padStart(7)} ms per workflow in the slowest 1 % (${slowest.length} of ${paths.length} read)`,
  );
} finally {
  await stop();
  await stopServer(server);
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}

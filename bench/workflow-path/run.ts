// Where a workflow's time goes, read from its own history: `npm run --silent bench -- --built workflow-path/run.ts`
// (`npx tsc -b` first). Starts `server start-dev` on a SQLite file in its own process, runs N workflows of TYPE
// (a workflow of bench/sdk/workflows.ts: w1, w2, w1local, w2local) through `@odin/sdk` with CONCURRENCY in flight and
// eager starts, as the peers driver does, then reads the history of every tenth and prints the mean and median time
// between each event and the next: from the client's start to the first event, and from the last to the client's
// result. An event's time is when its transition was built, before its commit, so a gap holds the commit of the
// earlier transition, the answer's way to the worker or client, what they did, and the next call's way in. Event
// times have millisecond resolution. Environment: TYPE (w2local), N (2000), CONCURRENCY (64). Not part of the tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { temporal } from '@odin/api/public';
import type { IHistoryEvent } from '@odin/sdk';
import { freePort } from '@odin/test-ports';
import { startLocalWorker } from '../sdk/local-worker.js';
import { startDevArgs, startServer, stopServer } from '../server-process.js';

const TYPE = process.env.TYPE ?? 'w2local';
const N = Number(process.env.N ?? 2000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 64);
const TASK_QUEUE = 'bench-workflow-path';
const EventType = temporal.api.enums.v1.EventType;

interface Timed {
  workflowId: string;
  startedAt: number;
  answeredAt: number;
}

const dir = mkdtempSync(join(tmpdir(), 'odin-workflow-path-'));
const port = await freePort();
const server = await startServer(startDevArgs(port, join(dir, 'odin.db')), {
  ...process.env,
  HUGO_ORCHESTRATOR_LOG_LEVEL: 'warn',
});
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
  const gaps = new Map<string, number[]>();
  const add = (from: string, to: string, ms: number) => {
    const key = `${from} → ${to}`;
    const list = gaps.get(key) ?? [];
    list.push(ms);
    gaps.set(key, list);
  };
  for (const run of timed.filter((_, i) => i % 10 === 0)) {
    let previous = { name: 'client start', at: run.startedAt };
    for (const event of await client.fetchHistory(run.workflowId)) {
      const name = (EventType[event.eventType ?? 0] ?? String(event.eventType)).replace(/^EVENT_TYPE_/, '');
      add(previous.name, name, millis(event.eventTime) - previous.at);
      previous = { name, at: millis(event.eventTime) };
    }
    add(previous.name, 'client result', run.answeredAt - previous.at);
  }
  let total = 0;
  for (const [key, list] of gaps) {
    list.sort((a, b) => a - b);
    const mean = list.reduce((sum, ms) => sum + ms, 0) / list.length;
    total += (mean * list.length) / Math.ceil(timed.length / 10);
    console.log(
      `${mean.toFixed(1).padStart(7)} ms mean ${list[list.length >> 1]!.toFixed(1).padStart(7)} ms p50  ×${list.length}  ${key}`,
    );
  }
  console.log(`${total.toFixed(1).padStart(7)} ms per workflow in all`);
} finally {
  await stop();
  await stopServer(server);
  rmSync(dir, { recursive: true, force: true });
}

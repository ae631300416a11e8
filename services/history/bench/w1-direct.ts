// W1 against HistoryService alone (no gRPC, no SDK): a fake matching that hands every task straight to an in-process
// "worker". Shows what history + persistence can do per second and where the time goes.
//   node --conditions=@odin/source --import tsx services/history/bench/w1-direct.ts [url] [n] [inflight] [shards]
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { temporal } from '@odin/api';
import type { AddTaskRequest, MatchingApi, NamespaceRef } from '@odin/api';
import { SystemClock } from '@odin/hugo';
import { openStore } from '@odin/persistence';
import { HistoryService } from '../src/index.js';

const url = process.argv[2] ?? 'sqlite::memory:';
const total = Number(process.argv[3] ?? 2000);
const inflight = Number(process.argv[4] ?? 64);
const shardCount = Number(process.argv[5] ?? 512);
const NS: NamespaceRef = { id: '00000000-0000-4000-8000-000000000001', name: 'default' };
const C = temporal.api.enums.v1.CommandType;
const ctx = () => ({ signal: new AbortController().signal });

let history!: HistoryService;

const matching: MatchingApi = {
  async addWorkflowTask(ns, req) {
    setImmediate(() => void runWorkflowTask(ns, req).catch((e) => console.error('wft', e)));
  },
  async addActivityTask(ns, req) {
    setImmediate(() => void runActivityTask(ns, req).catch((e) => console.error('act', e)));
  },
  pollWorkflowTaskQueue: () => Promise.reject(new Error('unused')),
  pollActivityTaskQueue: () => Promise.reject(new Error('unused')),
  dispatchQuery: () => Promise.reject(new Error('unused')),
  respondQueryTaskCompleted: async () => ({}),
  shutdownWorker: async () => ({}),
  describeTaskQueue: async () => ({}),
};

async function runWorkflowTask(ns: NamespaceRef, req: AddTaskRequest) {
  const task = await history.recordWorkflowTaskStarted(
    ns,
    { ...req, requestId: randomUUID(), pollRequest: { identity: 'bench' } },
    ctx(),
  );
  const events = task.history?.events ?? [];
  const done = events.find((e) => e.activityTaskCompletedEventAttributes);
  const commands = done
    ? [
        {
          commandType: C.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
          completeWorkflowExecutionCommandAttributes: {
            result: done.activityTaskCompletedEventAttributes!.result,
          },
        },
      ]
    : [
        {
          commandType: C.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
          scheduleActivityTaskCommandAttributes: {
            activityId: '1',
            activityType: { name: 'echo' },
            taskQueue: { name: 'bench' },
            input: events[0]?.workflowExecutionStartedEventAttributes?.input,
            startToCloseTimeout: { seconds: 10 },
          },
        },
      ];
  await history.respondWorkflowTaskCompleted(
    ns,
    { taskToken: task.taskToken, commands: commands as never, identity: 'bench' },
    ctx(),
  );
}

async function runActivityTask(ns: NamespaceRef, req: AddTaskRequest) {
  const task = await history.recordActivityTaskStarted(
    ns,
    { ...req, requestId: randomUUID(), pollRequest: { identity: 'bench' } },
    ctx(),
  );
  await history.respondActivityTaskCompleted(ns, { taskToken: task.taskToken, result: task.input }, ctx());
}

async function main() {
  const clock = new SystemClock();
  const store = await openStore({ url, migrate: true, clock });
  history = new HistoryService({ clock, store }, { matching, shardCount });
  const t0 = performance.now();
  await history.start();
  console.log(`started ${shardCount} shards in ${(performance.now() - t0).toFixed(0)} ms`);
  const latencies: number[] = [];
  let next = 0;
  const cpu0 = process.cpuUsage();
  const begin = performance.now();
  async function lane() {
    while (next < total) {
      const i = next++;
      const s = performance.now();
      const workflowId = `w1-${i}-${randomUUID()}`;
      await history.startWorkflowExecution(
        NS,
        {
          workflowId,
          workflowType: { name: 'w1' },
          taskQueue: { name: 'bench' },
          requestId: randomUUID(),
          input: { payloads: [{ data: Buffer.from(`"x${i}"`) }] },
        },
        ctx(),
      );
      for (;;) {
        const r = await history.getWorkflowExecutionHistory(
          NS,
          {
            execution: { workflowId },
            waitNewEvent: true,
            historyEventFilterType:
              temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
          },
          { signal: new AbortController().signal, deadline: Date.now() + 30_000 },
        );
        if ((r.history?.events?.length ?? 0) > 0) break;
      }
      latencies.push(performance.now() - s);
    }
  }
  await Promise.all(Array.from({ length: inflight }, lane));
  const seconds = (performance.now() - begin) / 1000;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;
  console.log(
    `W1 direct ${url}: ${total} workflows in ${seconds.toFixed(2)} s = ${(total / seconds).toFixed(0)}/s; ` +
      `p50 ${pct(50).toFixed(1)} ms p99 ${pct(99).toFixed(1)} ms; cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s`,
  );
  await history.stop();
  await store.close();
}

await main();

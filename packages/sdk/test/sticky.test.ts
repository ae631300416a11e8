// Sticky execution on the dev server: the worker's own sticky queue, partial histories applied to cached runs,
// full replay (with a history fetch) for runs evicted by count or memory, and the replay cost it saves.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@odin/api/public';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker as OfficialWorker,
} from '@temporalio/worker';
import { startDevServer } from '@odin/server';
import { Connection, WorkflowClient } from '../src/client/index.js';
import { assertDeterministicReplay } from '../src/replay.js';
import { Worker, type WorkerOptions } from '../src/worker/index.js';
import * as sticky from './workflows/sticky.js';

const TaskQueueKind = temporal.api.enums.v1.TaskQueueKind;

let server: Awaited<ReturnType<typeof startDevServer>>;
let connection: Connection;
let client: WorkflowClient;
let seq = 0;
const id = (name: string) => `${name}-${process.pid}-${++seq}`;

before(async () => {
  server = await startDevServer({ port: 0 });
  connection = Connection.connect({ address: server.address });
  client = new WorkflowClient({ connection });
});

after(async () => {
  connection.close();
  await server.stop();
});

async function withWorker<T>(
  options: Partial<WorkerOptions> & { taskQueue: string },
  work: (worker: Worker) => Promise<T>,
): Promise<T> {
  const worker = await Worker.create({ connection, workflows: sticky, shutdownGraceMs: 1000, ...options });
  return worker.runUntil(() => work(worker));
}

describe('sticky execution', () => {
  test('a worker polls its sticky queue twice as often as its normal queue unless told otherwise', async () => {
    /** Workflow-task polls waiting on each kind of queue once the worker runs, counted at the connection. */
    async function pollsWaiting(
      options: Partial<WorkerOptions>,
    ): Promise<{ normal: number; sticky: number }> {
      const counting = Connection.connect({ address: server.address });
      const waiting = { normal: 0, sticky: 0 };
      const call = counting.call.bind(counting);
      counting.call = (async (method: string, request: unknown, callOptions: unknown) => {
        if (method !== 'pollWorkflowTaskQueue')
          return call(method as never, request as never, callOptions as never);
        const kind =
          (request as { taskQueue: { kind: number } }).taskQueue.kind === TaskQueueKind.TASK_QUEUE_KIND_STICKY
            ? 'sticky'
            : 'normal';
        waiting[kind]++;
        try {
          return await call(method, request as never, callOptions as never);
        } finally {
          waiting[kind]--;
        }
      }) as typeof counting.call;
      const worker = await Worker.create({
        connection: counting,
        taskQueue: id('poll-counts'),
        workflows: sticky,
        shutdownGraceMs: 1000,
        ...options,
      });
      try {
        // The counts once they have held still for a while (the polls start together, but a busy machine spreads them).
        return await worker.runUntil(async () => {
          let last = '';
          let stillSince = Date.now();
          for (;;) {
            await new Promise((r) => setTimeout(r, 20));
            const now = JSON.stringify(waiting);
            if (now !== last) [last, stillSince] = [now, Date.now()];
            else if (waiting.normal + waiting.sticky > 0 && Date.now() - stillSince >= 300)
              return { ...waiting };
          }
        });
      } finally {
        counting.close();
      }
    }
    assert.deepEqual(await pollsWaiting({ workflowPollers: 2 }), { normal: 2, sticky: 4 });
    assert.deepEqual(await pollsWaiting({ workflowPollers: 2, stickyPollers: 1 }), { normal: 2, sticky: 1 });
    assert.deepEqual(await pollsWaiting({}), { normal: 8, sticky: 16 });
  });

  test('tasks after the first come to the worker sticky queue with partial histories applied to the cached run', async () => {
    const workflowId = id('sticky');
    await withWorker({ taskQueue: 'sticky-a' }, async (worker) => {
      assert.equal(
        await client.execute(sticky.manySteps, { workflowId, taskQueue: 'sticky-a', args: [8] }),
        8,
      );
      const stats = worker.stats;
      assert.ok(stats.stickyWorkflowTasks >= 8, `sticky tasks: ${stats.stickyWorkflowTasks}`);
      assert.equal(stats.resumedWorkflowTasks, stats.workflowTasks - 1, 'every task but the first resumed');
      assert.equal(stats.fullHistoryFetches, 0);
      const length = (await client.fetchHistory(workflowId)).length;
      assert.ok(
        stats.historyEventsReceived < 2 * length,
        `partial histories: ${stats.historyEventsReceived} events received for a history of ${length}`,
      );
      const scheduled = (await client.fetchHistory(workflowId))
        .map((e) => e.workflowTaskScheduledEventAttributes?.taskQueue)
        .filter((q) => q !== undefined && q !== null);
      assert.equal(scheduled[0]?.kind, TaskQueueKind.TASK_QUEUE_KIND_NORMAL);
      assert.ok(
        scheduled
          .slice(1)
          .every(
            (q) => q?.name === worker.stickyTaskQueue && q?.kind === TaskQueueKind.TASK_QUEUE_KIND_STICKY,
          ),
      );
    });
    await assertDeterministicReplay(await client.fetchHistory(workflowId), sticky);
  });

  test('a sticky worker goes through far fewer history events per task than one replaying every task', async () => {
    const perTask = async (options: Partial<WorkerOptions> & { taskQueue: string }) =>
      withWorker(options, async (worker) => {
        await client.execute(sticky.manySteps, {
          workflowId: id('cost'),
          taskQueue: options.taskQueue,
          args: [12],
        });
        return worker.stats.historyEventsApplied / worker.stats.workflowTasks;
      });
    const cached = await perTask({ taskQueue: 'sticky-cost' });
    const replaying = await perTask({ taskQueue: 'nonsticky-cost', maxCachedWorkflows: 0 });
    assert.ok(cached < 8, `events per task with the cache: ${cached}`);
    assert.ok(replaying > 3 * cached, `events per task without: ${replaying}, with: ${cached}`);
  });

  test('a run evicted by the count bound gets its next sticky task by fetching the full history', async () => {
    await withWorker({ taskQueue: 'sticky-evict', maxCachedWorkflows: 1 }, async (worker) => {
      const a = await client.start(sticky.signalSteps, {
        workflowId: id('evict-a'),
        taskQueue: 'sticky-evict',
        args: [3],
      });
      const b = await client.start(sticky.signalSteps, {
        workflowId: id('evict-b'),
        taskQueue: 'sticky-evict',
        args: [3],
      });
      for (let i = 0; i < 3; i++) {
        for (const handle of [a, b]) {
          await waitForTasks(handle.workflowId, i);
          await handle.signal(sticky.step);
        }
      }
      assert.deepEqual(await Promise.all([a.result(), b.result()]), [3, 3]);
      const stats = worker.stats;
      assert.ok(stats.cacheEvictions > 0, 'runs were evicted');
      assert.ok(stats.fullHistoryFetches > 0, 'an evicted run fetched its history');
    });
  });

  test('runs are evicted while the process reports memory pressure', async () => {
    let pressure = true;
    await withWorker({ taskQueue: 'sticky-memory', cacheMemoryPressure: () => pressure }, async (worker) => {
      const handles = await Promise.all(
        [1, 2, 3].map((n) =>
          client.start(sticky.manySteps, {
            workflowId: id(`memory-${n}`),
            taskQueue: 'sticky-memory',
            args: [3],
          }),
        ),
      );
      assert.deepEqual(await Promise.all(handles.map((h) => h.result())), [3, 3, 3]);
      assert.ok(worker.stats.cacheEvictions > 0, `evictions: ${worker.stats.cacheEvictions}`);
      pressure = false;
    });
  });
});

describe('sticky execution with the official SDK', () => {
  test('a run our sticky worker kept moves to the official worker when ours shuts down, and theirs replays it', async () => {
    Runtime.install({ logger: new DefaultLogger('WARN') });
    const workflowId = id('handoff');
    const handle = await withWorker(
      { taskQueue: 'sticky-handoff', stickyQueueScheduleToStartTimeoutMs: 1000 },
      async (worker) => {
        const started = await client.start(sticky.signalSteps, {
          workflowId,
          taskQueue: 'sticky-handoff',
          args: [3],
        });
        await waitForTasks(workflowId, 0);
        await started.signal(sticky.step);
        await waitForTasks(workflowId, 1);
        assert.ok(worker.stats.stickyWorkflowTasks >= 1, 'the second task came on our sticky queue');
        return started;
      },
    );
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: new URL('./official-workflows/sticky.ts', import.meta.url).pathname,
      logger: new DefaultLogger('WARN'),
    });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    try {
      const official = await OfficialWorker.create({
        connection: nativeConnection,
        taskQueue: 'sticky-handoff',
        workflowBundle,
      });
      await official.runUntil(async () => {
        await handle.signal(sticky.step);
        await handle.signal(sticky.step);
        assert.equal(await handle.result(), 3);
      });
    } finally {
      await nativeConnection.close();
    }
    const history = await client.fetchHistory(workflowId);
    // Our worker's shutdown called ShutdownWorker: the server forgot its sticky queue, so the next task went to the
    // normal queue at once instead of timing out on the sticky one first.
    assert.ok(
      !history.some((e) => e.workflowTaskTimedOutEventAttributes),
      'the task for our gone sticky queue went to the normal queue without a timeout',
    );
    await assertDeterministicReplay(history, sticky);
  });

  test("a run the official sticky worker kept moves to our worker, which replays the official worker's history", async () => {
    const workflowId = id('handoff-back');
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: new URL('./official-workflows/sticky.ts', import.meta.url).pathname,
      logger: new DefaultLogger('WARN'),
    });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const handle = await client.start(sticky.signalSteps, {
      workflowId,
      taskQueue: 'sticky-handoff-back',
      args: [3],
    });
    try {
      const official = await OfficialWorker.create({
        connection: nativeConnection,
        taskQueue: 'sticky-handoff-back',
        workflowBundle,
        stickyQueueScheduleToStartTimeout: '1s',
      });
      await official.runUntil(async () => {
        await waitForTasks(workflowId, 0);
        await handle.signal(sticky.step);
        await waitForTasks(workflowId, 1);
      });
    } finally {
      await nativeConnection.close();
    }
    await withWorker({ taskQueue: 'sticky-handoff-back' }, async (worker) => {
      await handle.signal(sticky.step);
      await handle.signal(sticky.step);
      assert.equal(await handle.result(), 3);
      assert.ok(worker.stats.workflowTasks >= 1);
    });
    const scheduled = (await client.fetchHistory(workflowId)).filter(
      (e) => e.workflowTaskScheduledEventAttributes?.taskQueue?.kind === TaskQueueKind.TASK_QUEUE_KIND_STICKY,
    );
    assert.ok(scheduled.length >= 1, 'the official worker asked for sticky execution');
  });
});

/** Waits until the run completed the workflow task that followed `signals` signals. */
async function waitForTasks(workflowId: string, signals: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const history = await client.fetchHistory(workflowId);
    const completed = history.filter((e) => e.workflowTaskCompletedEventAttributes).length;
    const signalled = history.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
    if (signalled === signals && completed >= signals + 1) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${workflowId} did not reach ${signals} signals`);
}

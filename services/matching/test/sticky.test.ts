import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { ServiceError } from '@odin/api';
import { TaskQueueType } from '@odin/api';
import { flushMicrotasks, VirtualClock } from '@odin/hugo';
import { MatchingService } from '../src/matching-service.js';
import { STICKY_POLLER_UNAVAILABLE_MS } from '../src/sticky-pollers.js';
import { context, fakeHistory, MemoryMatchingStore, NS, type Started } from './fakes.js';

const never = new AbortController().signal;
const STICKY = 'worker-1@host-sticky';
const stickyQueue = { name: STICKY, kind: 2, normalName: 'q' };

function stickyTask(workflowId: string) {
  return { taskQueue: STICKY, workflowId, runId: 'run', scheduledEventId: 6, sticky: true };
}

function setup(syncMatchWaitMs = 0) {
  const clock = new VirtualClock();
  const store = new MemoryMatchingStore();
  const started: Started[] = [];
  const matching = new MatchingService(context(store, clock), {
    history: fakeHistory(started),
    syncMatchWaitMs,
  });
  return { clock, store, started, matching };
}

function tokenOf(response: object): string {
  const token = (response as { taskToken?: Uint8Array }).taskToken;
  return token ? Buffer.from(token).toString() : '';
}

const isStickyUnavailable = (e: ServiceError) => e.code === status.FAILED_PRECONDITION;

describe('sticky queues', () => {
  test('a task added to a sticky queue goes to the poller of that sticky queue only', async () => {
    const { clock, matching } = setup();
    let normal: object | undefined;
    void matching
      .pollWorkflowTaskQueue(
        NS,
        { taskQueue: { name: 'q' } },
        { signal: never, deadline: clock.now() + 5_000 },
      )
      .then((r) => {
        normal = r;
      });
    const sticky = matching.pollWorkflowTaskQueue(
      NS,
      { taskQueue: stickyQueue },
      { signal: never, deadline: clock.now() + 70_000 },
    );
    await flushMicrotasks();
    await matching.addWorkflowTask(NS, stickyTask('wf-1'), { signal: never });
    assert.equal(tokenOf(await sticky), 'wf-1:6');
    await clock.advance(5_000);
    await flushMicrotasks();
    assert.deepEqual(normal, {});
  });

  test('task-queue latency of every sticky queue is labelled as one queue, so per-worker names add no series', async () => {
    const clock = new VirtualClock();
    const ctx = context(new MemoryMatchingStore(), clock);
    const matching = new MatchingService(ctx, { history: fakeHistory([]), syncMatchWaitMs: 0 });
    for (const worker of ['worker-1@host-sticky', 'worker-2@host-sticky']) {
      const poll = matching.pollWorkflowTaskQueue(
        NS,
        { taskQueue: { ...stickyQueue, name: worker } },
        { signal: never, deadline: clock.now() + 70_000 },
      );
      await flushMicrotasks();
      await matching.addWorkflowTask(
        NS,
        { ...stickyTask(`wf-${worker}`), taskQueue: worker },
        { signal: never },
      );
      await poll;
    }
    const normal = matching.pollWorkflowTaskQueue(
      NS,
      { taskQueue: { name: 'q' } },
      { signal: never, deadline: clock.now() + 70_000 },
    );
    await flushMicrotasks();
    await matching.addWorkflowTask(
      NS,
      { taskQueue: 'q', workflowId: 'wf-n', runId: 'run', scheduledEventId: 6 },
      { signal: never },
    );
    await normal;
    const latency = await ctx.metrics.taskQueueLatencySeconds.get();
    const counts = latency.values
      .filter((v) => v.metricName === 'task_queue_latency_seconds_count')
      .map((v) => [v.labels.queue_name, v.value]);
    assert.deepEqual(counts.sort(), [
      ['__sticky__', 2],
      ['q', 1],
    ]);
  });

  test('an add to a sticky queue nobody ever polled is refused', async () => {
    const { matching } = setup();
    await assert.rejects(
      matching.addWorkflowTask(NS, stickyTask('wf-1'), { signal: never }),
      isStickyUnavailable,
    );
  });

  test('an add is refused once the sticky queue has had no poller for 10 s', async () => {
    const { clock, store, matching } = setup();
    const controller = new AbortController();
    const poll = matching.pollWorkflowTaskQueue(
      NS,
      { taskQueue: stickyQueue },
      { signal: controller.signal, deadline: clock.now() + 70_000 },
    );
    await flushMicrotasks();
    controller.abort();
    assert.deepEqual(await poll, {});
    await clock.advance(STICKY_POLLER_UNAVAILABLE_MS + 1);
    await assert.rejects(
      matching.addWorkflowTask(NS, stickyTask('wf-1'), { signal: never }),
      isStickyUnavailable,
    );
    assert.equal(store.rows(STICKY, TaskQueueType.Workflow).length, 0);
  });

  test('a sticky add nobody takes within the hold is refused, never persisted', async () => {
    const { clock, store, started, matching } = setup(200);
    const first = matching.pollWorkflowTaskQueue(
      NS,
      { taskQueue: stickyQueue },
      { signal: never, deadline: clock.now() + 70_000 },
    );
    await flushMicrotasks();
    await matching.addWorkflowTask(NS, stickyTask('wf-1'), { signal: never });
    assert.equal(tokenOf(await first), 'wf-1:6');
    // The worker is alive (polled just now) but busy: the add waits for the hold, then history falls back.
    const add = matching.addWorkflowTask(NS, stickyTask('wf-2'), { signal: never });
    const refused = assert.rejects(add, isStickyUnavailable);
    await clock.advance(200);
    await refused;
    assert.equal(store.rows(STICKY, TaskQueueType.Workflow).length, 0);
    assert.deepEqual(
      started.map((s) => s.workflowId),
      ['wf-1'],
    );
  });
});

describe('ShutdownWorker', () => {
  test('drops the sticky queue at once: its waiting poll answers empty and the next sticky add is refused', async () => {
    const { clock, store, started, matching } = setup(200);
    const poll = matching.pollWorkflowTaskQueue(
      NS,
      { taskQueue: stickyQueue },
      { signal: never, deadline: clock.now() + 70_000 },
    );
    await flushMicrotasks();
    await matching.shutdownWorker(NS, { namespace: NS.name, stickyTaskQueue: STICKY }, { signal: never });
    assert.deepEqual(await poll, {});
    // No waiting for the poller-unavailable window: the worker said it left.
    await assert.rejects(
      matching.addWorkflowTask(NS, stickyTask('wf-1'), { signal: never }),
      isStickyUnavailable,
    );
    assert.equal(store.rows(STICKY, TaskQueueType.Workflow).length, 0);
    assert.equal(started.length, 0);
  });

  test("answers the worker instance's waiting polls empty and leaves other workers' polls waiting", async () => {
    const { clock, started, matching } = setup();
    const leaving = matching.pollWorkflowTaskQueue(
      NS,
      { taskQueue: { name: 'q' }, workerInstanceKey: 'w-1' },
      { signal: never, deadline: clock.now() + 70_000 },
    );
    const leavingActivities = matching.pollActivityTaskQueue(
      NS,
      { taskQueue: { name: 'q' }, workerInstanceKey: 'w-1' },
      { signal: never, deadline: clock.now() + 70_000 },
    );
    await flushMicrotasks();
    await matching.shutdownWorker(
      NS,
      { namespace: NS.name, workerInstanceKey: 'w-1', taskQueue: 'q' },
      { signal: never },
    );
    assert.deepEqual(await leaving, {});
    assert.deepEqual(await leavingActivities, {});
    const staying = matching.pollWorkflowTaskQueue(
      NS,
      { taskQueue: { name: 'q' }, workerInstanceKey: 'w-2' },
      { signal: never, deadline: clock.now() + 70_000 },
    );
    await flushMicrotasks();
    await matching.addWorkflowTask(
      NS,
      { taskQueue: 'q', workflowId: 'wf-n', runId: 'run', scheduledEventId: 6 },
      { signal: never },
    );
    assert.equal(tokenOf(await staying), 'wf-n:6');
    assert.deepEqual(
      started.map((s) => s.workflowId),
      ['wf-n'],
    );
  });
});

describe('DescribeTaskQueue', () => {
  test('lists the pollers of the queue and type with identity and last access time, most recent first', async () => {
    const { clock, matching } = setup();
    const poll = (identity: string, type: 'workflow' | 'activity') => {
      const request = { taskQueue: { name: 'q' }, identity };
      const ctx = { signal: never, deadline: clock.now() + 5_000 };
      return type === 'workflow'
        ? matching.pollWorkflowTaskQueue(NS, request, ctx)
        : matching.pollActivityTaskQueue(NS, request, ctx);
    };
    const first = poll('worker-a', 'workflow');
    await clock.advance(1_000);
    const second = poll('worker-b', 'workflow');
    const activity = poll('worker-c', 'activity');
    await flushMicrotasks();
    const described = await matching.describeTaskQueue(
      NS,
      { namespace: NS.name, taskQueue: { name: 'q' }, taskQueueType: TaskQueueType.Workflow },
      { signal: never },
    );
    assert.deepEqual(
      described.pollers?.map((p) => p.identity),
      ['worker-b', 'worker-a'],
    );
    assert.equal(
      Number((described.pollers?.[0]?.lastAccessTime as { seconds: number } | undefined)?.seconds),
      Math.floor(clock.now() / 1000),
    );
    await clock.advance(5_000);
    await Promise.all([first, second, activity]);
    // Five minutes after their last poll, pollers are no longer listed.
    await clock.advance(5 * 60 * 1000 + 1);
    const later = await matching.describeTaskQueue(
      NS,
      { namespace: NS.name, taskQueue: { name: 'q' }, taskQueueType: TaskQueueType.Activity },
      { signal: never },
    );
    assert.deepEqual(later.pollers, []);
  });

  test('reports the backlog when asked', async () => {
    const { clock, matching } = setup();
    await matching.addWorkflowTask(
      NS,
      { taskQueue: 'q', workflowId: 'wf-1', runId: 'run', scheduledEventId: 2 },
      { signal: never },
    );
    await clock.advance(3_000);
    const described = await matching.describeTaskQueue(
      NS,
      { namespace: NS.name, taskQueue: { name: 'q' }, reportStats: true, includeTaskQueueStatus: true },
      { signal: never },
    );
    assert.equal(Number(described.stats?.approximateBacklogCount), 1);
    assert.equal(Number(described.taskQueueStatus?.backlogCountHint), 1);
    assert.equal(Number(described.stats?.approximateBacklogAge?.seconds), 3);
  });
});

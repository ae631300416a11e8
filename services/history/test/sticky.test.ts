import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ServiceError, temporal } from '@odin/api';
import type { AddTaskRequest, NamespaceRef, WorkflowServiceResponse } from '@odin/api';
import { VirtualClock } from '@odin/hugo';
import { openStore } from '@odin/persistence';
import type { temporal as T } from '@temporalio/proto';
import {
  advance,
  cmd,
  complete,
  ctx,
  eventName,
  FakeMatching,
  history,
  NS,
  pollActivityTask,
  pollWorkflowTask,
  payloads,
  settle,
  setup,
  start,
  startHistory,
  TASK_QUEUE,
} from './harness.js';
import type { Harness } from './harness.js';

const STICKY = 'worker-1-sticky';
const Kind = temporal.api.enums.v1.TaskQueueKind;
const stickyAttributes = {
  workerTaskQueue: { name: STICKY, kind: Kind.TASK_QUEUE_KIND_STICKY, normalName: TASK_QUEUE },
  scheduleToStartTimeout: { seconds: 5 },
} as unknown as T.api.taskqueue.v1.IStickyExecutionAttributes;

/** Refuses sticky adds like matching does when the sticky queue has had no poller lately. */
class StickyRefusingMatching extends FakeMatching {
  refuseSticky = false;
  override async addWorkflowTask(ns: NamespaceRef, req: AddTaskRequest): Promise<void> {
    if (this.refuseSticky && (req as { sticky?: boolean }).sticky) {
      throw ServiceError.failedPrecondition('StickyWorkerUnavailable');
    }
    return super.addWorkflowTask(ns, req);
  }
}

async function setupRefusing(): Promise<Harness & { matching: StickyRefusingMatching }> {
  const clock = new VirtualClock(Date.UTC(2026, 0, 1));
  const store = await openStore({ url: 'sqlite::memory:', migrate: true, clock });
  const { history, matching } = await startHistory(store, clock, new StickyRefusingMatching());
  return {
    clock,
    store,
    matching: matching as StickyRefusingMatching,
    history,
    async close() {
      await history.stop();
      await store.close();
    },
  };
}

function lastWorkflowTask(h: Harness, workflowId: string): AddTaskRequest & { sticky?: boolean } {
  const task = h.matching.workflowTasks.findLast((t) => t.workflowId === workflowId);
  if (!task) throw new Error(`no workflow task for ${workflowId}`);
  return task;
}

async function pollSticky(
  h: Harness,
  workflowId: string,
  queue = STICKY,
): Promise<WorkflowServiceResponse<'PollWorkflowTaskQueueResponse'>> {
  await settle();
  const task = lastWorkflowTask(h, workflowId);
  return h.history.recordWorkflowTaskStarted(
    NS,
    {
      workflowId,
      runId: task.runId,
      scheduledEventId: task.scheduledEventId,
      requestId: randomUUID(),
      pollRequest: {
        namespace: NS.name,
        taskQueue: { name: queue, kind: Kind.TASK_QUEUE_KIND_STICKY, normalName: TASK_QUEUE },
        identity: 'worker-1',
      },
    },
    ctx(),
  );
}

function stickyQueueOf(h: Harness, workflowId: string, runId: string): Promise<string | undefined> {
  return h.history.engine.read(NS.id, workflowId, runId, (run) => run.ms.stickyTaskQueue);
}

/** Start, first task on the normal queue completed with an activity and stickiness, activity completed. */
async function runUntilStickyTask(h: Harness, workflowId: string): Promise<string> {
  const runId = await start(h, workflowId);
  const first = await pollWorkflowTask(h, workflowId);
  await complete(h, first.taskToken, [cmd.activity('a1')], { stickyAttributes });
  const act = await pollActivityTask(h, workflowId);
  await h.history.respondActivityTaskCompleted(
    NS,
    { namespace: NS.name, taskToken: act.taskToken, result: payloads('r'), identity: 'worker-1' },
    ctx(),
  );
  await settle();
  return runId;
}

describe('sticky execution', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('the next workflow task goes to the sticky queue and a sticky poll gets only the new events', async () => {
    await runUntilStickyTask(h, 's-partial');
    const added = lastWorkflowTask(h, 's-partial');
    assert.equal(added.taskQueue, STICKY);
    assert.equal(added.sticky, true);

    const task = await pollSticky(h, 's-partial');
    assert.equal(Number(task.previousStartedEventId), 3);
    const ids = (task.history?.events ?? []).map((e) => Number(e.eventId));
    assert.deepEqual(ids, [4, 5, 6, 7, 8, 9]);
    assert.equal(Number(task.startedEventId), 9);
    assert.deepEqual(
      (task.history?.events ?? []).map((e) => eventName(e.eventType)),
      [
        'WORKFLOW_TASK_COMPLETED',
        'ACTIVITY_TASK_SCHEDULED',
        'ACTIVITY_TASK_STARTED',
        'ACTIVITY_TASK_COMPLETED',
        'WORKFLOW_TASK_SCHEDULED',
        'WORKFLOW_TASK_STARTED',
      ],
    );
    const scheduled = task.history?.events?.[4]?.workflowTaskScheduledEventAttributes;
    assert.equal(scheduled?.taskQueue?.name, STICKY);
    assert.equal(scheduled?.taskQueue?.kind, Kind.TASK_QUEUE_KIND_STICKY);
    await complete(h, task.taskToken, [cmd.complete('done')], { stickyAttributes });
    assert.equal(
      eventName((await history(h, 's-partial')).at(-1)?.eventType),
      'WORKFLOW_EXECUTION_COMPLETED',
    );
  });

  test('a poll on another sticky queue does not get the task', async () => {
    await runUntilStickyTask(h, 's-other');
    await assert.rejects(pollSticky(h, 's-other', 'worker-2-sticky'), (e: ServiceError) => e.code === 5);
  });

  test('a sticky task nobody starts times out (SCHEDULE_TO_START) and goes to the normal queue', async () => {
    const runId = await runUntilStickyTask(h, 's-timeout');
    const stickyTask = lastWorkflowTask(h, 's-timeout');
    await advance(h, 5_000);
    const events = await history(h, 's-timeout');
    const timedOut = events.at(-2)?.workflowTaskTimedOutEventAttributes;
    assert.equal(timedOut?.timeoutType, temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START);
    assert.equal(Number(timedOut?.scheduledEventId), stickyTask.scheduledEventId);
    const rescheduled = events.at(-1)?.workflowTaskScheduledEventAttributes;
    assert.equal(rescheduled?.taskQueue?.name, TASK_QUEUE);
    assert.equal(rescheduled?.taskQueue?.kind, Kind.TASK_QUEUE_KIND_NORMAL);
    assert.equal(rescheduled?.attempt, 1);
    assert.equal(await stickyQueueOf(h, 's-timeout', runId), undefined);

    const fallback = lastWorkflowTask(h, 's-timeout');
    assert.equal(fallback.taskQueue, TASK_QUEUE);
    assert.equal(fallback.sticky, undefined);
    // The stale sticky task is refused; the normal queue gets the full history.
    await assert.rejects(
      h.history.recordWorkflowTaskStarted(
        NS,
        {
          workflowId: 's-timeout',
          runId,
          scheduledEventId: stickyTask.scheduledEventId,
          requestId: randomUUID(),
          pollRequest: { namespace: NS.name, taskQueue: { name: STICKY, kind: Kind.TASK_QUEUE_KIND_STICKY } },
        },
        ctx(),
      ),
      (e: ServiceError) => e.code === 5,
    );
    const task = await pollWorkflowTask(h, 's-timeout');
    assert.equal(Number(task.history?.events?.[0]?.eventId), 1);
    assert.equal(task.attempt, 1);
    assert.equal(Number(task.previousStartedEventId), 3);
  });

  test('a normal-queue poll of a sticky run clears its stickiness', async () => {
    const runId = await runUntilStickyTask(h, 's-normal');
    assert.equal(await stickyQueueOf(h, 's-normal', runId), STICKY);
    const task = await pollWorkflowTask(h, 's-normal');
    assert.equal(await stickyQueueOf(h, 's-normal', runId), undefined);
    assert.equal(Number(task.history?.events?.[0]?.eventId), 1);
    // Completing without sticky attributes keeps the run on the normal queue.
    await complete(h, task.taskToken, [cmd.timer('t', 1)]);
    await advance(h, 1_000);
    assert.equal(lastWorkflowTask(h, 's-normal').taskQueue, TASK_QUEUE);
  });

  test('a failed workflow task clears stickiness and its retry goes to the normal queue', async () => {
    const runId = await runUntilStickyTask(h, 's-failed');
    const task = await pollSticky(h, 's-failed');
    await h.history.respondWorkflowTaskFailed(
      NS,
      { namespace: NS.name, taskToken: task.taskToken, identity: 'worker-1', cause: 1 },
      ctx(),
    );
    await settle();
    assert.equal(await stickyQueueOf(h, 's-failed', runId), undefined);
    assert.equal(lastWorkflowTask(h, 's-failed').taskQueue, TASK_QUEUE);
    const retry = await pollWorkflowTask(h, 's-failed');
    assert.equal(retry.attempt, 2);
    assert.equal(Number(retry.history?.events?.[0]?.eventId), 1);
  });
});

describe('sticky queue without a worker', () => {
  let h: Harness & { matching: StickyRefusingMatching };
  before(async () => {
    h = await setupRefusing();
  });
  after(async () => {
    await h.close();
  });

  test('when matching refuses the sticky add, the same task goes to the normal queue', async () => {
    h.matching.refuseSticky = true;
    const runId = await runUntilStickyTask(h, 's-refused');
    await settle();
    const task = lastWorkflowTask(h, 's-refused');
    assert.equal(task.taskQueue, TASK_QUEUE);
    assert.equal(await stickyQueueOf(h, 's-refused', runId), undefined);
    const polled = await pollWorkflowTask(h, 's-refused');
    assert.equal(Number(polled.history?.events?.[0]?.eventId), 1);
    assert.equal(polled.attempt, 1);
  });
});

describe('ResetStickyTaskQueue', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('clears the stickiness: the next workflow task goes to the normal queue with the full history', async () => {
    const runId = await start(h, 'rs-run');
    const first = await pollWorkflowTask(h, 'rs-run');
    await complete(h, first.taskToken, [], { stickyAttributes });
    assert.equal(await stickyQueueOf(h, 'rs-run', runId), STICKY);
    await h.history.resetStickyTaskQueue(
      NS,
      { namespace: NS.name, execution: { workflowId: 'rs-run', runId } },
      ctx(),
    );
    assert.equal(await stickyQueueOf(h, 'rs-run', runId), undefined);
    await h.history.signalWorkflowExecution(
      NS,
      { namespace: NS.name, workflowExecution: { workflowId: 'rs-run' }, signalName: 's', identity: 'test' },
      ctx(),
    );
    await settle();
    const task = lastWorkflowTask(h, 'rs-run');
    assert.equal(task.taskQueue, TASK_QUEUE);
    assert.equal(task.sticky, undefined);
  });

  test('a closed run is NOT_FOUND, a missing workflow id INVALID_ARGUMENT', async () => {
    const runId = await start(h, 'rs-closed');
    const first = await pollWorkflowTask(h, 'rs-closed');
    await complete(h, first.taskToken, [cmd.complete('done')], { stickyAttributes });
    await assert.rejects(
      h.history.resetStickyTaskQueue(
        NS,
        { namespace: NS.name, execution: { workflowId: 'rs-closed', runId } },
        ctx(),
      ),
      (e: ServiceError) => e.code === 5,
    );
    await assert.rejects(
      h.history.resetStickyTaskQueue(NS, { namespace: NS.name, execution: {} }, ctx()),
      (e: ServiceError) => e.code === 3,
    );
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time.js';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@odin/api';
import { type CompatEnv, compatSuite } from './harness.js';
import { eventually } from './polling.js';
import { calls, releaseHeld } from './activities.js';
import { parentOfWaitingChild, collectSignal, twoActivitiesThenCollect } from './workflows/recovery.js';
import { signalCollector } from './workflows/signals.js';
import { sleeper } from './workflows/timers.js';
import { addItemUpdate, cart, finishUpdate } from './workflows/updates.js';

const EventType = temporal.api.enums.v1.EventType;
const TaskQueueKind = temporal.api.enums.v1.TaskQueueKind;
const NAMESPACE = 'default';

type RawPoll = Awaited<ReturnType<CompatEnv['client']['workflowService']['pollWorkflowTaskQueue']>>;

/** A raw workflow-task poll, as a worker sends it. */
function pollWorkflowTask(
  e: CompatEnv,
  queue: { name: string; sticky?: boolean; normalName?: string },
  workerInstanceKey?: string,
): Promise<RawPoll> {
  return e.client.workflowService.pollWorkflowTaskQueue({
    namespace: NAMESPACE,
    taskQueue: {
      name: queue.name,
      kind: queue.sticky ? TaskQueueKind.TASK_QUEUE_KIND_STICKY : TaskQueueKind.TASK_QUEUE_KIND_NORMAL,
      ...(queue.normalName ? { normalName: queue.normalName } : {}),
    },
    identity: 'compat-raw-worker',
    ...(workerInstanceKey ? { workerInstanceKey } : {}),
  });
}

/** Completes a workflow task with no commands; with `stickyQueue`, the worker asks to keep the run cached. */
async function completeTask(e: CompatEnv, poll: RawPoll, stickyQueue?: string): Promise<void> {
  assert.ok(poll.taskToken?.length, 'the poll got a task');
  await e.client.workflowService.respondWorkflowTaskCompleted({
    namespace: NAMESPACE,
    taskToken: poll.taskToken,
    identity: 'compat-raw-worker',
    commands: [],
    ...(stickyQueue
      ? {
          stickyAttributes: {
            workerTaskQueue: { name: stickyQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_STICKY },
          },
        }
      : {}),
  });
}

async function signal(e: CompatEnv, workflowId: string, value: string): Promise<void> {
  await e.client.workflowService.signalWorkflowExecution({
    namespace: NAMESPACE,
    workflowExecution: { workflowId },
    signalName: 'add',
    input: { payloads: [defaultPayloadConverter.toPayload(value)] },
    identity: 'compat-test',
  });
}

/** Starts a workflow on `taskQueue`, where only the test polls. */
async function startRaw(e: CompatEnv, workflowId: string, taskQueue: string): Promise<void> {
  await e.client.workflow.start(signalCollector, { taskQueue, workflowId, args: [100] });
}

async function events(e: CompatEnv, workflowId: string) {
  return (await e.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

/** The task queue each WorkflowTaskScheduled event was put on, in order. */
async function scheduledQueues(e: CompatEnv, workflowId: string) {
  return (await events(e, workflowId))
    .filter((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
    .map((ev) => ev.workflowTaskScheduledEventAttributes?.taskQueue);
}

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function types(handle: WorkflowHandle): Promise<number[]> {
  return ((await handle.fetchHistory()).events ?? []).map((ev) => Number(ev.eventType));
}

/** The id of the run's `nth` (from 1) WorkflowTaskCompleted event, once it is written. */
async function completedTask(handle: WorkflowHandle, nth: number) {
  for (;;) {
    const completed = ((await handle.fetchHistory()).events ?? []).filter(
      (ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
    );
    const event = completed[nth - 1];
    if (event) return event.eventId;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function assertStatus(code: number) {
  return (err: unknown) => {
    assert.equal((err as { code?: number }).code, code, String(err));
    return true;
  };
}

compatSuite('scenario 28: recovery and operations RPCs', (env) => {
  test('ResetStickyTaskQueue sends the next workflow task to the normal queue with the full history', async () => {
    const e = env();
    const taskQueue = e.taskQueue('reset-sticky');
    const sticky = `${taskQueue}-sticky`;
    const workflowId = `reset-sticky-${taskQueue}`;
    await startRaw(e, workflowId, taskQueue);
    const first = await pollWorkflowTask(e, { name: taskQueue });
    assert.ok(first.taskToken?.length);
    await completeTask(e, first, sticky);

    // Control: while the run is sticky, a signal's task is scheduled on the worker's sticky queue. Matching takes a
    // sticky task only from a queue with a poller lately (otherwise it goes to the normal queue), so the signal waits
    // until the poll reached matching: on the split cluster it arrives over one more hop than the signal's task.
    const stickyPoll = pollWorkflowTask(e, { name: sticky, sticky: true, normalName: taskQueue });
    await waitUntil(async () => {
      const described = await e.client.workflowService.describeTaskQueue({
        namespace: NAMESPACE,
        taskQueue: { name: sticky, kind: TaskQueueKind.TASK_QUEUE_KIND_STICKY, normalName: taskQueue },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      return (described.pollers ?? []).some((p) => p.identity === 'compat-raw-worker');
    });
    await signal(e, workflowId, 'one');
    const second = await stickyPoll;
    assert.ok(second.taskToken?.length, 'the sticky poller gets the task');
    assert.ok(Number(second.history?.events?.[0]?.eventId) > 1, 'a sticky task carries only the new events');
    await completeTask(e, second, sticky);

    await e.client.workflowService.resetStickyTaskQueue({ namespace: NAMESPACE, execution: { workflowId } });
    await signal(e, workflowId, 'two');
    const third = await pollWorkflowTask(e, { name: taskQueue });
    assert.ok(third.taskToken?.length, 'the normal queue gets the task after the reset');
    assert.equal(Number(third.history?.events?.[0]?.eventId), 1, 'with the full history');
    const queues = await scheduledQueues(e, workflowId);
    assert.deepEqual(
      queues.map((q) => q?.kind),
      [
        TaskQueueKind.TASK_QUEUE_KIND_NORMAL,
        TaskQueueKind.TASK_QUEUE_KIND_STICKY,
        TaskQueueKind.TASK_QUEUE_KIND_NORMAL,
      ],
    );
    assert.equal(queues[2]?.name, taskQueue);
    await e.client.workflow.getHandle(workflowId).terminate('done');

    await assert.rejects(
      e.client.workflowService.resetStickyTaskQueue({ namespace: NAMESPACE, execution: { workflowId } }),
      assertStatus(5 /* NOT_FOUND: the run is closed */),
    );
    await assert.rejects(
      e.client.workflowService.resetStickyTaskQueue({ namespace: NAMESPACE, execution: {} }),
      assertStatus(3 /* INVALID_ARGUMENT */),
    );
  });

  test('ShutdownWorker drops the sticky queue: its poll answers empty and the next task goes to the normal queue', async () => {
    const e = env();
    const taskQueue = e.taskQueue('shutdown-sticky');
    const sticky = `${taskQueue}-sticky`;
    const workflowId = `shutdown-sticky-${taskQueue}`;
    await startRaw(e, workflowId, taskQueue);
    const first = await pollWorkflowTask(e, { name: taskQueue });
    await completeTask(e, first, sticky);

    // The worker's sticky poll is waiting when it says it is shutting down.
    const stickyPoll = pollWorkflowTask(e, { name: sticky, sticky: true, normalName: taskQueue });
    await e.client.workflowService.shutdownWorker({
      namespace: NAMESPACE,
      stickyTaskQueue: sticky,
      identity: 'compat-raw-worker',
      reason: 'graceful shutdown',
    });
    // Were the sticky queue still served, its waiting poll would get this signal's task.
    await signal(e, workflowId, 'after-shutdown');
    const answered = await stickyPoll;
    assert.equal(answered.taskToken?.length ?? 0, 0, 'the sticky poll answers empty');
    const next = await pollWorkflowTask(e, { name: taskQueue });
    assert.ok(next.taskToken?.length, 'a poller of the normal queue gets the task');
    assert.equal(Number(next.history?.events?.[0]?.eventId), 1, 'with the full history');
    const types = (await events(e, workflowId)).map((ev) => ev.eventType);
    assert.ok(
      !types.includes(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT),
      'no task waited for a dead worker',
    );
    await e.client.workflow.getHandle(workflowId).terminate('done');
  });

  test('ShutdownWorker answers the waiting polls of that worker instance empty', async () => {
    const e = env();
    const taskQueue = e.taskQueue('shutdown-polls');
    const workflowId = `shutdown-polls-${taskQueue}`;
    const key = `instance-${taskQueue}`;
    const leaving = pollWorkflowTask(e, { name: taskQueue }, key);
    // Give the poll time to reach the server before the worker says it leaves.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await e.client.workflowService.shutdownWorker({
      namespace: NAMESPACE,
      workerInstanceKey: key,
      taskQueue,
      identity: 'compat-raw-worker',
    });
    // A task added now must not reach the poll of the worker that left.
    await startRaw(e, workflowId, taskQueue);
    assert.equal((await leaving).taskToken?.length ?? 0, 0, 'the leaving worker got no task');
    const other = await pollWorkflowTask(e, { name: taskQueue }, `other-${taskQueue}`);
    assert.ok(other.taskToken?.length, 'another worker gets it');
    await e.client.workflow.getHandle(workflowId).terminate('done');
  });

  test('an SDK worker shut down while workflows run loses no workflow task (workerPollCompleteOnShutdown)', async () => {
    const e = env();
    const described = await e.client.workflowService.describeNamespace({ namespace: NAMESPACE });
    assert.equal(described.namespaceInfo?.capabilities?.workerPollCompleteOnShutdown, true);
    const taskQueue = e.taskQueue('sdk-shutdown');
    const worker = await e.startWorker(taskQueue, { shutdownGraceTime: '10s' });
    const handles: WorkflowHandle<typeof signalCollector>[] = [];
    for (let i = 0; i < 3; i++) {
      const handle = await e.client.workflow.start(signalCollector, {
        taskQueue,
        workflowId: `sdk-shutdown-${i}-${taskQueue}`,
        args: [2],
      });
      await handle.signal('add', 'a');
      handles.push(handle);
    }
    // Every run has handled its signal in a workflow task this worker completed (so it is sticky to it), and waits
    // for the next signal: the worker's polls are all that is in flight when it shuts down.
    for (const handle of handles) {
      for (;;) {
        const types = (await handle.fetchHistory()).events?.map((ev) => ev.eventType) ?? [];
        const signaled = types.indexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
        if (signaled >= 0 && types.at(-1) === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) {
          if (types.lastIndexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) > signaled) break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    await worker.stop();
    // The runs go on with a new worker: their next task is not stuck on the old worker's sticky queue.
    const items = await e.withWorker(taskQueue, async () => {
      for (const handle of handles) await handle.signal('add', 'b');
      return Promise.all(handles.map((handle) => handle.result()));
    });
    for (const result of items) assert.deepEqual(result, ['a', 'b']);
    for (const handle of handles) {
      const types = (await handle.fetchHistory()).events?.map((ev) => ev.eventType) ?? [];
      assert.ok(!types.includes(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT), 'no workflow task timed out');
      assert.ok(!types.includes(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED), 'no workflow task failed');
    }
  });

  test('UpdateNamespace merges data; DeprecateNamespace refuses new starts only; DeleteNamespace frees the name', async () => {
    const e = env();
    const service = e.client.workflowService;
    const namespace = `ns-ops-${e.taskQueue('ns')}`;
    await service.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
      data: { team: 'payments', tier: 'gold' },
    });
    await service.updateNamespace({ namespace, updateInfo: { data: { tier: 'platinum', region: 'eu' } } });
    const described = await service.describeNamespace({ namespace });
    assert.deepEqual(
      { ...described.namespaceInfo?.data },
      { team: 'payments', tier: 'platinum', region: 'eu' },
      'keys the update does not name are kept',
    );

    const client = new Client({ connection: e.client.connection, namespace });
    const workflowId = `ns-ops-wf-${namespace}`;
    const running = await client.workflow.start(signalCollector, {
      taskQueue: namespace,
      workflowId,
      args: [1],
    });
    await service.deprecateNamespace({ namespace });
    assert.equal(
      (await service.describeNamespace({ namespace })).namespaceInfo?.state,
      temporal.api.enums.v1.NamespaceState.NAMESPACE_STATE_DEPRECATED,
    );
    await assert.rejects(
      client.workflow.start(signalCollector, {
        taskQueue: namespace,
        workflowId: `${workflowId}-2`,
        args: [1],
      }),
      (err: unknown) => {
        const cause = (err as { cause?: { code?: number; details?: string } }).cause;
        assert.equal(cause?.code, 9 /* FAILED_PRECONDITION */);
        assert.match(cause?.details ?? '', /invalid state: Deprecated/);
        return true;
      },
    );
    // Everything else still works on a deprecated namespace.
    await running.signal('add', 'still-served');
    await running.terminate('done');

    const deleted = await e.client.connection.operatorService.deleteNamespace({ namespace });
    assert.match(deleted.deletedNamespace ?? '', new RegExp(`^${namespace}-deleted-`));
    await assert.rejects(service.describeNamespace({ namespace }), assertStatus(5 /* NOT_FOUND */));
    // The name is free again.
    await service.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
    assert.deepEqual({ ...(await service.describeNamespace({ namespace })).namespaceInfo?.data }, {});
    await assert.rejects(
      e.client.connection.operatorService.deleteNamespace({ namespace: 'no-such-namespace' }),
      assertStatus(5 /* NOT_FOUND */),
    );
  });

  test('DescribeWorkflowExecution shows pending children and the parent; reverse history pages from the end', async () => {
    const e = env();
    const taskQueue = e.taskQueue('describe-children');
    const parentId = `parent-${taskQueue}`;
    const childId = `${parentId}-child`;
    await e.withWorker(taskQueue, async () => {
      const parent = await e.client.workflow.start(parentOfWaitingChild, { taskQueue, workflowId: parentId });
      const child = e.client.workflow.getHandle(childId);
      let childRunId = '';
      for (;;) {
        const pending = (
          await e.client.workflowService.describeWorkflowExecution({
            namespace: NAMESPACE,
            execution: { workflowId: parentId },
          })
        ).pendingChildren;
        if (pending?.[0]?.runId) {
          assert.equal(pending.length, 1);
          assert.equal(pending[0].workflowId, childId);
          assert.equal(pending[0].workflowTypeName, 'modelChild');
          assert.equal(
            pending[0].parentClosePolicy,
            temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE,
          );
          assert.ok(Number(pending[0].initiatedId) > 0);
          childRunId = pending[0].runId;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const childInfo = (
        await e.client.workflowService.describeWorkflowExecution({
          namespace: NAMESPACE,
          execution: { workflowId: childId },
        })
      ).workflowExecutionInfo;
      assert.equal(childInfo?.execution?.runId, childRunId);
      assert.equal(childInfo?.parentExecution?.workflowId, parentId);
      assert.equal(childInfo?.parentExecution?.runId, parent.firstExecutionRunId);
      assert.ok(childInfo?.parentNamespaceId, 'the parent namespace id is set');
      assert.equal(childInfo?.rootExecution?.workflowId, parentId);
      await child.signal('release');
      assert.equal(await parent.result(), 'child says hello to r');
      const after = await e.client.workflowService.describeWorkflowExecution({
        namespace: NAMESPACE,
        execution: { workflowId: parentId },
      });
      assert.deepEqual(after.pendingChildren, [], 'a closed child is no longer pending');
      assert.equal(after.workflowExecutionInfo?.parentExecution, null, 'a run without parent has none');
    });

    const forward = (await e.client.workflow.getHandle(parentId).fetchHistory()).events ?? [];
    const reversed: number[] = [];
    let nextPageToken: Uint8Array | undefined;
    let pages = 0;
    do {
      const page = await e.client.workflowService.getWorkflowExecutionHistoryReverse({
        namespace: NAMESPACE,
        execution: { workflowId: parentId },
        maximumPageSize: 3,
        ...(nextPageToken ? { nextPageToken } : {}),
      });
      reversed.push(...(page.history?.events ?? []).map((ev) => Number(ev.eventId)));
      nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
      pages++;
    } while (nextPageToken);
    assert.deepEqual(reversed, forward.map((ev) => Number(ev.eventId)).reverse());
    assert.equal(pages, Math.ceil(forward.length / 3));
  });

  test('DeleteWorkflowExecution deletes a closed run at once and terminates a running one before deleting it', async () => {
    const e = env();
    const service = e.client.workflowService;
    const taskQueue = e.taskQueue('delete');
    const describe = (workflowId: string) =>
      service.describeWorkflowExecution({ namespace: NAMESPACE, execution: { workflowId } });
    const listed = async (workflowId: string) =>
      (await service.listWorkflowExecutions({ namespace: NAMESPACE, query: `WorkflowId = '${workflowId}'` }))
        .executions ?? [];

    const closedId = `delete-closed-${taskQueue}`;
    const closed = await e.client.workflow.start(signalCollector, {
      taskQueue,
      workflowId: closedId,
      args: [1],
    });
    await closed.terminate('finished');
    assert.equal((await listed(closedId)).length, 1);
    await service.deleteWorkflowExecution({
      namespace: NAMESPACE,
      workflowExecution: { workflowId: closedId },
    });
    await assert.rejects(describe(closedId), assertStatus(5 /* NOT_FOUND */));
    await assert.rejects(closed.fetchHistory(), /not found/i);
    assert.equal((await listed(closedId)).length, 0, 'its visibility record is gone');

    const runningId = `delete-running-${taskQueue}`;
    const running = await e.client.workflow.start(signalCollector, {
      taskQueue,
      workflowId: runningId,
      args: [1],
    });
    await service.deleteWorkflowExecution({
      namespace: NAMESPACE,
      workflowExecution: { workflowId: runningId, runId: running.firstExecutionRunId },
    });
    // Terminated at once; deleted shortly after.
    let terminated = false;
    for (;;) {
      try {
        const info = (await describe(runningId)).workflowExecutionInfo;
        assert.equal(
          info?.status,
          temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED,
        );
        const last = (await running.fetchHistory()).events?.at(-1);
        assert.equal(last?.eventType, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
        terminated = true;
      } catch (err) {
        if ((err as { code?: number }).code === 5 || /not found/i.test(String(err))) break;
        throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(terminated || (await listed(runningId)).length === 0);
    assert.equal((await listed(runningId)).length, 0);

    await assert.rejects(
      service.deleteWorkflowExecution({
        namespace: NAMESPACE,
        workflowExecution: { workflowId: 'no-such-workflow' },
      }),
      assertStatus(5 /* NOT_FOUND */),
    );
    await assert.rejects(
      service.deleteWorkflowExecution({ namespace: NAMESPACE, workflowExecution: {} }),
      assertStatus(3 /* INVALID_ARGUMENT */),
    );
  });

  test('DescribeTaskQueue lists the pollers with identity and last access time, and the backlog', async () => {
    const e = env();
    const service = e.client.workflowService;
    const TaskQueueType = temporal.api.enums.v1.TaskQueueType;
    const taskQueue = e.taskQueue('describe-queue');
    const identity = `describe-worker-${taskQueue}`;
    await e.withWorker(
      taskQueue,
      async () => {
        for (const taskQueueType of [
          TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
          TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
        ]) {
          for (;;) {
            const described = await service.describeTaskQueue({
              namespace: NAMESPACE,
              taskQueue: { name: taskQueue },
              taskQueueType,
            });
            const poller = described.pollers?.find((p) => p.identity === identity);
            if (poller) {
              assert.ok(Number(poller.lastAccessTime?.seconds) > 0, 'the last access time is set');
              assert.ok((poller.ratePerSecond ?? 0) > 0);
              break;
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        }
      },
      { identity },
    );

    // Nobody polls this queue: its tasks wait in the backlog.
    const idle = e.taskQueue('describe-backlog');
    for (let i = 0; i < 2; i++) {
      await e.client.workflow.start(signalCollector, {
        taskQueue: idle,
        workflowId: `backlog-${i}-${idle}`,
        args: [1],
      });
    }
    // A start's task reaches matching after the start's commit (on the split cluster, over the internal stream), so
    // the backlog is read until both have arrived.
    const described = await eventually(
      () =>
        service.describeTaskQueue({
          namespace: NAMESPACE,
          taskQueue: { name: idle },
          taskQueueType: TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
          reportStats: true,
          includeTaskQueueStatus: true,
        }),
      (d) => Number(d.stats?.approximateBacklogCount) === 2,
    );
    assert.deepEqual(described.pollers, []);
    assert.equal(Number(described.stats?.approximateBacklogCount), 2);
    assert.equal(Number(described.taskQueueStatus?.backlogCountHint), 2);
    await assert.rejects(
      service.describeTaskQueue({ namespace: NAMESPACE, taskQueue: { name: '' } }),
      assertStatus(3 /* INVALID_ARGUMENT */),
    );
    for (let i = 0; i < 2; i++) await e.client.workflow.getHandle(`backlog-${i}-${idle}`).terminate('done');
  });

  test('ResetWorkflowExecution: a new run from the first workflow task, signals reapplied, the old run terminated', async () => {
    const e = env();
    const service = e.client.workflowService;
    const taskQueue = e.taskQueue('reset');
    const workflowId = `reset-${taskQueue}`;
    const ReapplyType = temporal.api.enums.v1.ResetReapplyType;
    const firstTaskCompleted = async (runId: string) => {
      const history = await e.client.workflow.getHandle(workflowId, runId).fetchHistory();
      const event = history.events?.find(
        (ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
      );
      assert.ok(event, 'the run has a completed workflow task');
      return event.eventId;
    };
    /** The run's first event of a type (a reset may name a WorkflowTaskStarted event too). */
    const firstEvent = async (runId: string, type: number) => {
      const history = await e.client.workflow.getHandle(workflowId, runId).fetchHistory();
      const event = history.events?.find((ev) => ev.eventType === type);
      assert.ok(event, `the run has an event of type ${type}`);
      return event.eventId;
    };
    let startedEventId: Awaited<ReturnType<typeof firstEvent>> | undefined;
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start(signalCollector, { taskQueue, workflowId, args: [3] });
      // The signals come after the first workflow task, so resetting to it reapplies them all.
      for (;;) {
        const types = (await handle.fetchHistory()).events?.map((ev) => ev.eventType) ?? [];
        if (types.includes(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED)) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await handle.signal('add', 'a');
      await handle.signal('add', 'b');
      // Both signals handled: the last event is a completed workflow task after them.
      for (;;) {
        const types = (await handle.fetchHistory()).events?.map((ev) => ev.eventType) ?? [];
        if (
          types.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED).length === 2 &&
          types.at(-1) === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED &&
          types.lastIndexOf(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) >
            types.lastIndexOf(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
        )
          break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const baseRunId = handle.firstExecutionRunId;
      const point = await firstTaskCompleted(baseRunId);
      const reset = await service.resetWorkflowExecution({
        namespace: NAMESPACE,
        workflowExecution: { workflowId, runId: baseRunId },
        reason: 'bad deploy',
        workflowTaskFinishEventId: point,
        requestId: `reset-1-${taskQueue}`,
      });
      assert.ok(reset.runId && reset.runId !== baseRunId);
      // A retried request answers the same run.
      const retried = await service.resetWorkflowExecution({
        namespace: NAMESPACE,
        workflowExecution: { workflowId, runId: baseRunId },
        reason: 'bad deploy',
        workflowTaskFinishEventId: point,
        requestId: `reset-1-${taskQueue}`,
      });
      assert.equal(retried.runId, reset.runId);

      const baseEvents =
        (await e.client.workflow.getHandle(workflowId, baseRunId).fetchHistory()).events ?? [];
      const terminated = baseEvents.at(-1);
      assert.equal(terminated?.eventType, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
      assert.equal(terminated?.workflowExecutionTerminatedEventAttributes?.reason, 'bad deploy');

      const newRun = e.client.workflow.getHandle(workflowId, reset.runId);
      const newEvents = (await newRun.fetchHistory()).events ?? [];
      const failed = newEvents[Number(point) - 1];
      assert.equal(failed?.eventType, EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED);
      assert.equal(
        failed?.workflowTaskFailedEventAttributes?.cause,
        temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
      );
      assert.equal(failed?.workflowTaskFailedEventAttributes?.baseRunId, baseRunId);
      assert.equal(failed?.workflowTaskFailedEventAttributes?.newRunId, reset.runId);
      assert.deepEqual(
        newEvents.slice(0, Number(point) - 1).map((ev) => ev.eventType),
        baseEvents.slice(0, Number(point) - 1).map((ev) => ev.eventType),
        'the history up to the reset point is copied',
      );
      // The signals after the point are reapplied: one more completes the collection.
      await e.client.workflow.getHandle(workflowId).signal('add', 'c');
      assert.deepEqual(await newRun.result(), ['a', 'b', 'c']);

      // A closed run can be reset too, here to its first WorkflowTaskStarted (before the reapplied signals): without
      // reapplying, the new run waits for three new signals.
      startedEventId = await firstEvent(reset.runId, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
      const second = await service.resetWorkflowExecution({
        namespace: NAMESPACE,
        workflowExecution: { workflowId, runId: reset.runId },
        reason: 'again',
        workflowTaskFinishEventId: await firstEvent(reset.runId, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED),
        resetReapplyType: ReapplyType.RESET_REAPPLY_TYPE_NONE,
      });
      const again = e.client.workflow.getHandle(workflowId, second.runId);
      for (const item of ['x', 'y', 'z']) await again.signal('add', item);
      assert.deepEqual(await again.result(), ['x', 'y', 'z']);

      // The exclude list works like NONE for signals.
      const third = await service.resetWorkflowExecution({
        namespace: NAMESPACE,
        workflowExecution: { workflowId, runId: second.runId },
        reason: 'exclude',
        // Its first task's Started event: the signals x, y, z all came after it (reapplied but for the exclusion).
        workflowTaskFinishEventId: await firstEvent(second.runId, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED),
        resetReapplyExcludeTypes: [
          temporal.api.enums.v1.ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL,
        ],
      });
      const thirdEvents =
        (await e.client.workflow.getHandle(workflowId, third.runId).fetchHistory()).events ?? [];
      assert.ok(!thirdEvents.some((ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED));
      await e.client.workflow.getHandle(workflowId).terminate('done');
    });

    await assert.rejects(
      service.resetWorkflowExecution({
        namespace: NAMESPACE,
        workflowExecution: { workflowId },
        reason: 'bad point',
        workflowTaskFinishEventId: startedEventId,
      }),
      assertStatus(3 /* INVALID_ARGUMENT: not a workflow task event */),
    );
  });

  test('ResetWorkflowExecution with a post-reset signal: the new run gets it after the reapplied ones', async () => {
    const e = env();
    const taskQueue = e.taskQueue('reset-post-signal');
    const workflowId = `reset-post-signal-${taskQueue}`;
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start(signalCollector, { taskQueue, workflowId, args: [3] });
      const point = await completedTask(handle, 1);
      await handle.signal('add', 'a');
      await handle.signal('add', 'b');
      const reset = await e.client.workflowService.resetWorkflowExecution({
        namespace: NAMESPACE,
        workflowExecution: { workflowId, runId: handle.firstExecutionRunId },
        reason: 'post-reset signal',
        workflowTaskFinishEventId: point,
        identity: 'compat-operator',
        postResetOperations: [
          {
            signalWorkflow: {
              signalName: 'add',
              input: { payloads: [defaultPayloadConverter.toPayload('posted')] },
            },
          },
        ],
      });
      const newRun = e.client.workflow.getHandle(workflowId, reset.runId);
      assert.deepEqual(await newRun.result(), ['a', 'b', 'posted']);
      const signaled = ((await newRun.fetchHistory()).events ?? []).filter(
        (ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
      );
      assert.equal(signaled.at(-1)?.workflowExecutionSignaledEventAttributes?.identity, 'compat-operator');

      // A versioning override after the reset is refused: this server has no worker versioning.
      await assert.rejects(
        e.client.workflowService.resetWorkflowExecution({
          namespace: NAMESPACE,
          workflowExecution: { workflowId, runId: reset.runId },
          reason: 'versioning',
          workflowTaskFinishEventId: point,
          postResetOperations: [
            {
              updateWorkflowOptions: {
                workflowExecutionOptions: { versioningOverride: { autoUpgrade: true } },
                updateMask: { paths: ['versioning_override'] },
              },
            },
          ],
        }),
        assertStatus(12 /* UNIMPLEMENTED */),
      );
    });
  });

  test('ResetWorkflowExecution over open activities: both are scheduled again and the workflow completes', async () => {
    const e = env();
    const taskQueue = e.taskQueue('reset-activities');
    const otherQueue = `${taskQueue}-other`;
    const workflowId = `reset-activities-${taskQueue}`;
    // Unique per run of the suite: task queue names repeat from one topology to the next in the same process.
    const key = `reset-held-${randomUUID()}`;
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start(twoActivitiesThenCollect, {
        taskQueue,
        workflowId,
        args: [key, otherQueue],
      });
      let newRun: WorkflowHandle | undefined;
      let point: Awaited<ReturnType<typeof completedTask>> | undefined;
      // The held call is let go whatever happens, or the worker could not stop.
      try {
        // One activity runs in a worker (held), the other waits: nobody polls its queue yet.
        await waitUntil(async () => calls[key] === 1);
        await handle.signal(collectSignal);
        point = await completedTask(handle, 2);
        const reset = await e.client.workflowService.resetWorkflowExecution({
          namespace: NAMESPACE,
          workflowExecution: { workflowId, runId: handle.firstExecutionRunId },
          reason: 'activities open',
          workflowTaskFinishEventId: point,
          requestId: `reset-activities-${taskQueue}`,
        });
        const run = e.client.workflow.getHandle(workflowId, reset.runId);
        newRun = run;
        await e.withWorker(otherQueue, async () => {
          // The running attempt belonged to the base run: the new run's own attempt is the second call.
          assert.deepEqual(await run.result(), ['call 2', 'Hello, elsewhere!']);
        });
      } finally {
        await releaseHeld(key);
      }
      assert.ok(newRun);
      const events = (await newRun.fetchHistory()).events ?? [];
      const scheduled = events
        .filter((ev) => ev.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
        .map((ev) => Number(ev.eventId));
      assert.equal(scheduled.length, 2, 'the activities are not scheduled twice in history');
      assert.ok(
        scheduled.every((id) => id < Number(point)),
        'they are the kept events',
      );
      const completed = events
        .filter((ev) => ev.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED)
        .map((ev) => Number(ev.activityTaskCompletedEventAttributes?.scheduledEventId))
        .sort((a, b) => a - b);
      assert.deepEqual(completed, scheduled);
    });
  });

  test('ResetWorkflowExecution over an open timer: the new run re-arms it and it fires', async () => {
    const e = env();
    const taskQueue = e.taskQueue('reset-timer');
    const workflowId = `reset-timer-${taskQueue}`;
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start(sleeper, { taskQueue, workflowId, args: [3_000] });
      await waitUntil(async () => (await types(handle)).includes(EventType.EVENT_TYPE_TIMER_STARTED));
      // A signal nobody handles still makes a second workflow task, while the timer is open.
      await handle.signal('poke');
      const point = await completedTask(handle, 2);
      const reset = await e.client.workflowService.resetWorkflowExecution({
        namespace: NAMESPACE,
        workflowExecution: { workflowId },
        reason: 'timer open',
        workflowTaskFinishEventId: point,
      });
      const newRun = e.client.workflow.getHandle(workflowId, reset.runId);
      assert.equal(await newRun.result(), 'awake');
      const events = (await newRun.fetchHistory()).events ?? [];
      const started = events.filter((ev) => ev.eventType === EventType.EVENT_TYPE_TIMER_STARTED);
      const fired = events.filter((ev) => ev.eventType === EventType.EVENT_TYPE_TIMER_FIRED);
      assert.equal(started.length, 1);
      assert.equal(fired.length, 1);
      assert.equal(Number(fired[0]?.timerFiredEventAttributes?.startedEventId), Number(started[0]?.eventId));
      assert.ok(Number(fired[0]?.eventId) > Number(point), 'it fired in the new run');
    });
  });

  test('ResetWorkflowExecution reapplies the updates after the point, unless excluded', async () => {
    const e = env();
    const taskQueue = e.taskQueue('reset-updates');
    const workflowId = `reset-updates-${taskQueue}`;
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start(cart, { taskQueue, workflowId, args: [[]] });
      assert.equal(await handle.executeUpdate(addItemUpdate, { args: ['a'], updateId: 'add-a' }), 1);
      assert.equal(await handle.executeUpdate(addItemUpdate, { args: ['b'], updateId: 'add-b' }), 2);
      const baseRunId = handle.firstExecutionRunId;
      const point = await completedTask(handle, 1);
      const resetTo = async (extra: object) =>
        (
          await e.client.workflowService.resetWorkflowExecution({
            namespace: NAMESPACE,
            workflowExecution: { workflowId, runId: baseRunId },
            reason: 'updates',
            workflowTaskFinishEventId: point,
            ...extra,
          })
        ).runId;

      // Unset reapply type (all eligible): both updates come back as admitted, the workflow runs them again.
      const withUpdates = e.client.workflow.getHandle(workflowId, await resetTo({}));
      const admitted = async (runHandle: WorkflowHandle) =>
        ((await runHandle.fetchHistory()).events ?? []).filter(
          (ev) => ev.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED,
        );
      const reapplied = await admitted(withUpdates);
      assert.deepEqual(
        reapplied.map((ev) => ev.workflowExecutionUpdateAdmittedEventAttributes?.request?.meta?.updateId),
        ['add-a', 'add-b'],
      );
      assert.equal(
        reapplied[0]?.workflowExecutionUpdateAdmittedEventAttributes?.origin,
        temporal.api.enums.v1.UpdateAdmittedEventOrigin.UPDATE_ADMITTED_EVENT_ORIGIN_REAPPLY,
      );
      await waitUntil(
        async () =>
          (await types(withUpdates)).filter(
            (t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
          ).length === 2,
      );
      assert.deepEqual(await withUpdates.executeUpdate(finishUpdate), ['a', 'b']);
      assert.deepEqual(await withUpdates.result(), ['a', 'b']);

      // Updates excluded (here by the deprecated reapply type SIGNAL, which means signals only): none come back.
      const withoutUpdates = e.client.workflow.getHandle(
        workflowId,
        await resetTo({ resetReapplyType: temporal.api.enums.v1.ResetReapplyType.RESET_REAPPLY_TYPE_SIGNAL }),
      );
      assert.deepEqual(await admitted(withoutUpdates), []);
      assert.deepEqual(await withoutUpdates.executeUpdate(finishUpdate), []);
      assert.deepEqual(await withoutUpdates.result(), []);

      // The exclude list does the same.
      const excluded = e.client.workflow.getHandle(
        workflowId,
        await resetTo({
          resetReapplyExcludeTypes: [
            temporal.api.enums.v1.ResetReapplyExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_UPDATE,
          ],
        }),
      );
      assert.deepEqual(await admitted(excluded), []);
      await excluded.terminate('done');
    });
  });

  test('ResetWorkflowExecution over an open child: the new run takes it over and gets its result', async () => {
    const e = env();
    const taskQueue = e.taskQueue('reset-child');
    const parentId = `reset-child-${taskQueue}`;
    await e.withWorker(taskQueue, async () => {
      const parent = await e.client.workflow.start(parentOfWaitingChild, { taskQueue, workflowId: parentId });
      // The child's Started event makes the parent's second workflow task.
      const point = await completedTask(parent, 2);
      const reset = await e.client.workflowService.resetWorkflowExecution({
        namespace: NAMESPACE,
        workflowExecution: { workflowId: parentId },
        reason: 'child open',
        workflowTaskFinishEventId: point,
      });
      const child = e.client.workflow.getHandle(`${parentId}-child`);
      // The base run was terminated by the reset: no parent-close policy ended the child.
      assert.equal((await child.describe()).status.name, 'RUNNING');
      await child.signal('release');
      // The child reports to the run it was started from, which passes it on to the new run.
      const newRun = e.client.workflow.getHandle(parentId, reset.runId);
      assert.equal(await newRun.result(), 'child says hello to r');
      const events = (await newRun.fetchHistory()).events ?? [];
      const completed = events.find(
        (ev) => ev.eventType === EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
      );
      assert.ok(Number(completed?.eventId) > Number(point), 'recorded in the new run');
    });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { temporal as T } from '@temporalio/proto';
import {
  advance,
  cmd,
  ctx,
  eventName,
  eventNames,
  history,
  NS,
  payloads,
  payloadText,
  pollWorkflowTask,
  settle,
  setup,
  start,
  startWith,
} from './harness.js';
import type { Harness } from './harness.js';

/** Completes the workflow task as the SDK does, returning the response (where eager activities arrive). */
async function completeWith(
  h: Harness,
  taskToken: Uint8Array | null | undefined,
  commands: T.api.command.v1.ICommand[],
) {
  const res = await h.history.respondWorkflowTaskCompleted(
    NS,
    { namespace: NS.name, taskToken, commands, identity: 'eager-worker' },
    ctx(),
  );
  await settle();
  return res;
}

const eager = (activityId: string, extra: Record<string, unknown> = {}) =>
  cmd.activity(activityId, { requestEagerExecution: true, ...extra });

describe('eager activity execution', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('an activity on the workflow task queue comes back in the completion response, started, not via matching', async () => {
    await start(h, 'wf-eager');
    const wft = await pollWorkflowTask(h, 'wf-eager');
    const res = await completeWith(h, wft.taskToken, [eager('a1')]);
    assert.equal(res.activityTasks?.length, 1);
    const task = res.activityTasks![0]!;
    assert.equal(task.activityId, 'a1');
    assert.equal(task.activityType?.name, 'act');
    assert.equal(task.attempt, 1);
    assert.equal(payloadText(task.input), 'a');
    assert.ok(task.taskToken && task.taskToken.length > 0);
    assert.ok(task.startedTime, 'the attempt is started');
    assert.equal(
      h.matching.activityTasks.filter((t) => t.workflowId === 'wf-eager').length,
      0,
      'nothing was handed to matching',
    );
    await h.history.respondActivityTaskCompleted(
      NS,
      { namespace: NS.name, taskToken: task.taskToken, result: payloads('done'), identity: 'eager-worker' },
      ctx(),
    );
    await settle();
    const events = await history(h, 'wf-eager');
    assert.deepEqual((await eventNames(h, 'wf-eager')).slice(4), [
      'ACTIVITY_TASK_SCHEDULED',
      'ACTIVITY_TASK_STARTED',
      'ACTIVITY_TASK_COMPLETED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    assert.equal(events[5]?.activityTaskStartedEventAttributes?.identity, 'eager-worker');
    assert.equal(payloadText(events[6]?.activityTaskCompletedEventAttributes?.result), 'done');
  });

  test('an activity for another task queue, or one not asked for eagerly, goes through matching', async () => {
    await start(h, 'wf-not-eager');
    const wft = await pollWorkflowTask(h, 'wf-not-eager');
    const res = await completeWith(h, wft.taskToken, [
      eager('other-queue', { taskQueue: { name: 'elsewhere' } }),
      cmd.activity('not-asked'),
    ]);
    assert.equal(res.activityTasks?.length ?? 0, 0);
    const handed = h.matching.activityTasks.filter((t) => t.workflowId === 'wf-not-eager');
    assert.equal(handed.length, 2);
  });

  test('an eager activity cancelled by a later command of the same completion is not handed out', async () => {
    await start(h, 'wf-eager-cancel');
    const wft = await pollWorkflowTask(h, 'wf-eager-cancel');
    // Events 1–4 exist, so the completion's ScheduleActivity lands at event 5.
    const res = await completeWith(h, wft.taskToken, [eager('a1'), cmd.cancelActivity(5)]);
    assert.equal(res.activityTasks?.length ?? 0, 0);
    const names = await eventNames(h, 'wf-eager-cancel');
    assert.deepEqual(names.slice(4, 7), [
      'ACTIVITY_TASK_SCHEDULED',
      'ACTIVITY_TASK_CANCEL_REQUESTED',
      'ACTIVITY_TASK_CANCELED',
    ]);
  });

  test('an eager attempt the worker never finishes times out start-to-close and is retried through matching', async () => {
    await start(h, 'wf-eager-lost');
    const wft = await pollWorkflowTask(h, 'wf-eager-lost');
    const res = await completeWith(h, wft.taskToken, [eager('a1', { startToCloseTimeout: { seconds: 3 } })]);
    assert.equal(res.activityTasks?.length, 1);
    await advance(h, 3_000);
    assert.ok((await eventNames(h, 'wf-eager-lost')).every((n) => n !== 'ACTIVITY_TASK_TIMED_OUT'));
    await advance(h, 1_000); // the default retry policy's first backoff
    const retried = h.matching.activityTasks.filter((t) => t.workflowId === 'wf-eager-lost');
    assert.equal(retried.length, 1, 'the second attempt is dispatched normally');
    // The lost attempt's token is stale now.
    await assert.rejects(
      h.history.respondActivityTaskCompleted(
        NS,
        { namespace: NS.name, taskToken: res.activityTasks![0]!.taskToken, identity: 'eager-worker' },
        ctx(),
      ),
      /not found/i,
    );
  });

  test('a completion that closes the workflow starts nothing eagerly', async () => {
    await start(h, 'wf-eager-close');
    const wft = await pollWorkflowTask(h, 'wf-eager-close');
    const res = await completeWith(h, wft.taskToken, [eager('a1'), cmd.complete('bye')]);
    assert.equal(res.activityTasks?.length ?? 0, 0);
    assert.equal((await eventNames(h, 'wf-eager-close')).at(-1), 'WORKFLOW_EXECUTION_COMPLETED');
  });
});

const startEager = (h: Harness, workflowId: string, extra: Record<string, unknown> = {}) =>
  startWith(h, workflowId, {
    requestId: `req-${workflowId}`,
    identity: 'client-with-worker',
    requestEagerExecution: true,
    ...extra,
  });

const handedToMatching = (h: Harness, workflowId: string) =>
  h.matching.workflowTasks.filter((t) => t.workflowId === workflowId).length;

describe('eager workflow start', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('the first workflow task comes back started in the start response, and the run goes on from it', async () => {
    const res = await startEager(h, 'wf-eager-start');
    const task = res.eagerWorkflowTask;
    assert.ok(task, 'the response carries the first workflow task');
    assert.equal(task.workflowExecution?.runId, res.runId);
    assert.deepEqual(
      task.history?.events?.map((e) => eventName(e.eventType)),
      ['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED', 'WORKFLOW_TASK_STARTED'],
    );
    assert.equal(Number(task.startedEventId), 3);
    assert.equal(
      task.history?.events?.[2]?.workflowTaskStartedEventAttributes?.identity,
      'client-with-worker',
    );
    assert.equal(handedToMatching(h, 'wf-eager-start'), 0, 'nothing was handed to matching');
    // The worker completes it with an eager activity, then the workflow, as the SDK does.
    const completed = await completeWith(h, task.taskToken, [eager('a1')]);
    await h.history.respondActivityTaskCompleted(
      NS,
      { namespace: NS.name, taskToken: completed.activityTasks![0]!.taskToken, result: payloads('r') },
      ctx(),
    );
    const wft2 = await pollWorkflowTask(h, 'wf-eager-start');
    await completeWith(h, wft2.taskToken, [cmd.complete('done')]);
    assert.deepEqual(await eventNames(h, 'wf-eager-start'), [
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'ACTIVITY_TASK_SCHEDULED',
      'ACTIVITY_TASK_STARTED',
      'ACTIVITY_TASK_COMPLETED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'WORKFLOW_EXECUTION_COMPLETED',
    ]);
  });

  test('an eager task that never reaches a worker times out and is retried through matching', async () => {
    const res = await startEager(h, 'wf-eager-lost-start', { workflowTaskTimeout: { seconds: 5 } });
    assert.ok(res.eagerWorkflowTask);
    await advance(h, 5_000);
    const names = await eventNames(h, 'wf-eager-lost-start');
    assert.ok(names.includes('WORKFLOW_TASK_TIMED_OUT'), names.join(','));
    assert.equal(handedToMatching(h, 'wf-eager-lost-start'), 1);
  });

  test('no eager task when the first task cannot run yet, or for a retried start', async () => {
    const delayed = await startEager(h, 'wf-eager-delay', { workflowStartDelay: { seconds: 30 } });
    assert.equal(delayed.eagerWorkflowTask ?? null, null);
    const cron = await startEager(h, 'wf-eager-cron', { cronSchedule: '* * * * *' });
    assert.equal(cron.eagerWorkflowTask ?? null, null);
    const first = await startEager(h, 'wf-eager-retried');
    assert.ok(first.eagerWorkflowTask);
    const again = await startEager(h, 'wf-eager-retried');
    assert.equal(again.runId, first.runId);
    assert.equal(again.eagerWorkflowTask ?? null, null, 'the retried request does not start a second task');
    assert.equal(handedToMatching(h, 'wf-eager-retried'), 0);
  });

  test('a start that does not ask for it goes through matching', async () => {
    const res = await startEager(h, 'wf-not-eager-start', { requestEagerExecution: false });
    assert.equal(res.eagerWorkflowTask ?? null, null);
    assert.equal(handedToMatching(h, 'wf-not-eager-start'), 1);
  });
});

test('with both switches off, eager starts and eager activities go through matching', async () => {
  const h = await setup('sqlite::memory:', { eagerActivityExecution: false, eagerWorkflowStart: false });
  try {
    const started = await startEager(h, 'wf-off');
    assert.equal(started.eagerWorkflowTask ?? null, null);
    const wft = await pollWorkflowTask(h, 'wf-off');
    const res = await completeWith(h, wft.taskToken, [eager('a1')]);
    assert.equal(res.activityTasks?.length ?? 0, 0);
    assert.equal(h.matching.activityTasks.length, 1);
  } finally {
    await h.close();
  }
});

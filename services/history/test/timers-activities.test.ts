import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@odin/api';
import {
  advance,
  cmd,
  complete,
  ctx,
  eventNames,
  history,
  NS,
  payloads,
  payloadText,
  pollActivityTask,
  pollWorkflowTask,
  setup,
  signal,
  start,
} from './harness.js';
import type { Harness } from './harness.js';

const RetryState = temporal.api.enums.v1.RetryState;
const TimeoutType = temporal.api.enums.v1.TimeoutType;

async function failActivity(
  h: Harness,
  token: Uint8Array | null | undefined,
  nonRetryable = false,
  type = 'Boom',
) {
  await h.history.respondActivityTaskFailed(
    NS,
    {
      namespace: NS.name,
      taskToken: token,
      failure: { message: 'boom', applicationFailureInfo: { type, nonRetryable } },
      identity: 'worker',
    },
    ctx(),
  );
}

describe('timers', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('a timer fires on virtual time and schedules a workflow task', async () => {
    await start(h, 'wf-timer');
    const wft = await pollWorkflowTask(h, 'wf-timer');
    await complete(h, wft.taskToken, [cmd.timer('t1', 5)]);
    await advance(h, 4_000);
    assert.ok(!(await eventNames(h, 'wf-timer')).includes('TIMER_FIRED'));
    await advance(h, 1_000);
    const names = await eventNames(h, 'wf-timer');
    assert.deepEqual(names.slice(4), ['TIMER_STARTED', 'TIMER_FIRED', 'WORKFLOW_TASK_SCHEDULED']);
    const fired = (await history(h, 'wf-timer'))[5];
    assert.equal(fired?.timerFiredEventAttributes?.timerId, 't1');
    assert.equal(Number(fired?.timerFiredEventAttributes?.startedEventId), 5);
  });

  test('a cancelled timer never fires', async () => {
    await start(h, 'wf-cancel-timer');
    const wft = await pollWorkflowTask(h, 'wf-cancel-timer');
    await complete(h, wft.taskToken, [cmd.timer('t1', 5)]);
    await signal(h, 'wf-cancel-timer', 'go');
    const wft2 = await pollWorkflowTask(h, 'wf-cancel-timer');
    await complete(h, wft2.taskToken, [cmd.cancelTimer('t1')]);
    await advance(h, 10_000);
    const names = await eventNames(h, 'wf-cancel-timer');
    assert.ok(names.includes('TIMER_CANCELED'));
    assert.ok(!names.includes('TIMER_FIRED'));
  });

  test('a duplicate timer id fails the workflow task and keeps none of its commands', async () => {
    await start(h, 'wf-dup-timer');
    const wft = await pollWorkflowTask(h, 'wf-dup-timer');
    await complete(h, wft.taskToken, [cmd.timer('t1', 5), cmd.timer('t1', 6)]);
    const events = await history(h, 'wf-dup-timer');
    // The retry (attempt 2) is transient: not in history, only appended to its poll response.
    assert.deepEqual(
      events.slice(3).map((e) => e.eventType),
      [temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED],
    );
    assert.equal(
      events[3]?.workflowTaskFailedEventAttributes?.cause,
      temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID,
    );
    const retry = await pollWorkflowTask(h, 'wf-dup-timer');
    assert.equal(retry.attempt, 2);
    const polled = retry.history?.events ?? [];
    assert.deepEqual(
      polled.map((e) => Number(e.eventId)),
      [1, 2, 3, 4, 5, 6],
    );
    assert.equal(polled[4]?.workflowTaskScheduledEventAttributes?.attempt, 2);
    assert.equal(Number(retry.startedEventId), 6);
    await complete(h, retry.taskToken, [cmd.timer('t1', 5)]);
    assert.deepEqual((await eventNames(h, 'wf-dup-timer')).slice(3), [
      'WORKFLOW_TASK_FAILED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
      'WORKFLOW_TASK_COMPLETED',
      'TIMER_STARTED',
    ]);
  });
});

describe('activity retries, timeouts and heartbeats', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('retryable failures back off per the retry policy, then success writes one Started + Completed', async () => {
    await start(h, 'wf-retry');
    const wft = await pollWorkflowTask(h, 'wf-retry');
    await complete(h, wft.taskToken, [
      cmd.activity('a1', { retryPolicy: { initialInterval: { seconds: 1 }, backoffCoefficient: 2 } }),
    ]);
    const a1 = await pollActivityTask(h, 'wf-retry');
    await failActivity(h, a1.taskToken);
    await advance(h, 999);
    assert.equal(h.matching.activityTasks.length, 0, 'no retry before the 1s backoff');
    await advance(h, 1);
    const a2 = await pollActivityTask(h, 'wf-retry');
    assert.equal(a2.attempt, 2);
    await failActivity(h, a2.taskToken);
    await advance(h, 1_999);
    assert.equal(h.matching.activityTasks.length, 0, 'second backoff is 2s');
    await advance(h, 1);
    const a3 = await pollActivityTask(h, 'wf-retry');
    assert.equal(a3.attempt, 3);
    await h.history.respondActivityTaskCompleted(
      NS,
      { namespace: NS.name, taskToken: a3.taskToken, result: payloads('ok') },
      ctx(),
    );
    const events = await history(h, 'wf-retry');
    const names = events.map((e) => e.eventType);
    assert.equal(
      names.filter((t) => t === temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED).length,
      1,
    );
    const startedEvent = events.find((e) => e.activityTaskStartedEventAttributes);
    assert.equal(startedEvent?.activityTaskStartedEventAttributes?.attempt, 3);
    assert.equal(startedEvent?.activityTaskStartedEventAttributes?.lastFailure?.message, 'boom');
    // A stale token of an earlier attempt is refused.
    await assert.rejects(
      h.history.respondActivityTaskCompleted(NS, { namespace: NS.name, taskToken: a1.taskToken }, ctx()),
      (e: { code?: number }) => e.code === 5,
    );
  });

  test('a non-retryable failure closes the activity with NON_RETRYABLE_FAILURE', async () => {
    await start(h, 'wf-nonretry');
    const wft = await pollWorkflowTask(h, 'wf-nonretry');
    await complete(h, wft.taskToken, [
      cmd.activity('a1', { retryPolicy: { nonRetryableErrorTypes: ['Fatal'] } }),
    ]);
    const a1 = await pollActivityTask(h, 'wf-nonretry');
    await failActivity(h, a1.taskToken, false, 'Fatal');
    const failed = (await history(h, 'wf-nonretry')).find((e) => e.activityTaskFailedEventAttributes);
    assert.equal(
      failed?.activityTaskFailedEventAttributes?.retryState,
      RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE,
    );
    assert.equal(failed?.activityTaskFailedEventAttributes?.failure?.message, 'boom');
    assert.equal((await eventNames(h, 'wf-nonretry')).at(-1), 'WORKFLOW_TASK_SCHEDULED');
  });

  test('maximum attempts end retries with MAXIMUM_ATTEMPTS_REACHED', async () => {
    await start(h, 'wf-max');
    const wft = await pollWorkflowTask(h, 'wf-max');
    await complete(h, wft.taskToken, [cmd.activity('a1', { retryPolicy: { maximumAttempts: 1 } })]);
    const a1 = await pollActivityTask(h, 'wf-max');
    await failActivity(h, a1.taskToken);
    const failed = (await history(h, 'wf-max')).find((e) => e.activityTaskFailedEventAttributes);
    assert.equal(
      failed?.activityTaskFailedEventAttributes?.retryState,
      RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED,
    );
  });

  test('heartbeat details survive a heartbeat timeout into the next attempt', async () => {
    await start(h, 'wf-hb');
    const wft = await pollWorkflowTask(h, 'wf-hb');
    await complete(h, wft.taskToken, [
      cmd.activity('a1', {
        heartbeatTimeout: { seconds: 2 },
        startToCloseTimeout: { seconds: 60 },
        retryPolicy: { initialInterval: { seconds: 1 } },
      }),
    ]);
    const a1 = await pollActivityTask(h, 'wf-hb');
    await advance(h, 1_000);
    const hb = await h.history.recordActivityTaskHeartbeat(
      NS,
      { namespace: NS.name, taskToken: a1.taskToken, details: payloads('progress-7') },
      ctx(),
    );
    assert.equal(hb.cancelRequested, false);
    await advance(h, 1_500);
    assert.equal(h.matching.activityTasks.length, 0, 'heartbeat extended the deadline');
    await advance(h, 600);
    await advance(h, 1_000);
    const a2 = await pollActivityTask(h, 'wf-hb');
    assert.equal(a2.attempt, 2);
    assert.equal(payloadText(a2.heartbeatDetails), 'progress-7');
  });

  test('start-to-close timeout without retries writes ActivityTaskTimedOut', async () => {
    await start(h, 'wf-stc');
    const wft = await pollWorkflowTask(h, 'wf-stc');
    await complete(h, wft.taskToken, [
      cmd.activity('a1', { startToCloseTimeout: { seconds: 5 }, retryPolicy: { maximumAttempts: 1 } }),
    ]);
    await pollActivityTask(h, 'wf-stc');
    await advance(h, 5_000);
    const names = await eventNames(h, 'wf-stc');
    assert.deepEqual(names.slice(5), [
      'ACTIVITY_TASK_STARTED',
      'ACTIVITY_TASK_TIMED_OUT',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    const timedOut = (await history(h, 'wf-stc')).find((e) => e.activityTaskTimedOutEventAttributes);
    assert.equal(
      timedOut?.activityTaskTimedOutEventAttributes?.failure?.timeoutFailureInfo?.timeoutType,
      TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
    );
  });

  test('schedule-to-start timeout fires when no worker picks the activity up', async () => {
    await start(h, 'wf-s2s');
    const wft = await pollWorkflowTask(h, 'wf-s2s');
    await complete(h, wft.taskToken, [cmd.activity('a1', { scheduleToStartTimeout: { seconds: 3 } })]);
    await advance(h, 3_000);
    const names = await eventNames(h, 'wf-s2s');
    assert.deepEqual(names.slice(5), ['ACTIVITY_TASK_TIMED_OUT', 'WORKFLOW_TASK_SCHEDULED']);
  });

  test('schedule-to-close bounds the retries', async () => {
    await start(h, 'wf-s2c');
    const wft = await pollWorkflowTask(h, 'wf-s2c');
    await complete(h, wft.taskToken, [
      cmd.activity('a1', { scheduleToCloseTimeout: { seconds: 10 }, startToCloseTimeout: { seconds: 2 } }),
    ]);
    for (let i = 0; i < 3; i++) {
      const a = await pollActivityTask(h, 'wf-s2c');
      await failActivity(h, a.taskToken);
      await advance(h, 2 ** i * 1000);
    }
    await advance(h, 10_000);
    const timedOut = (await history(h, 'wf-s2c')).find((e) => e.activityTaskTimedOutEventAttributes);
    assert.ok(timedOut, 'activity timed out');
    assert.equal(
      timedOut?.activityTaskTimedOutEventAttributes?.failure?.timeoutFailureInfo?.timeoutType,
      TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
    );
  });

  test('cancelling an unstarted activity writes CancelRequested + Canceled and a new workflow task', async () => {
    await start(h, 'wf-cancel-act');
    const wft = await pollWorkflowTask(h, 'wf-cancel-act');
    await complete(h, wft.taskToken, [cmd.activity('a1'), cmd.timer('t', 100)]);
    await signal(h, 'wf-cancel-act', 'cancel-it');
    const wft2 = await pollWorkflowTask(h, 'wf-cancel-act');
    await complete(h, wft2.taskToken, [cmd.cancelActivity(5)]);
    const names = await eventNames(h, 'wf-cancel-act');
    assert.deepEqual(names.slice(-4), [
      'WORKFLOW_TASK_COMPLETED',
      'ACTIVITY_TASK_CANCEL_REQUESTED',
      'ACTIVITY_TASK_CANCELED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
  });

  test('cancelling a started activity reaches it through the heartbeat response', async () => {
    await start(h, 'wf-cancel-started');
    const wft = await pollWorkflowTask(h, 'wf-cancel-started');
    await complete(h, wft.taskToken, [cmd.activity('a1', { heartbeatTimeout: { seconds: 30 } })]);
    const a = await pollActivityTask(h, 'wf-cancel-started');
    await signal(h, 'wf-cancel-started', 'cancel-it');
    const wft2 = await pollWorkflowTask(h, 'wf-cancel-started');
    await complete(h, wft2.taskToken, [cmd.cancelActivity(5)]);
    const hb = await h.history.recordActivityTaskHeartbeat(
      NS,
      { namespace: NS.name, taskToken: a.taskToken },
      ctx(),
    );
    assert.equal(hb.cancelRequested, true);
    await h.history.respondActivityTaskCanceled(NS, { namespace: NS.name, taskToken: a.taskToken }, ctx());
    const names = await eventNames(h, 'wf-cancel-started');
    assert.deepEqual(names.slice(-3), [
      'ACTIVITY_TASK_STARTED',
      'ACTIVITY_TASK_CANCELED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@odin/api';
import {
  advance,
  cmd,
  complete,
  eventNames,
  history,
  pollWorkflowTask,
  settle,
  setup,
  signal,
  start,
} from './harness.js';
import type { Harness } from './harness.js';

const RetryState = temporal.api.enums.v1.RetryState;

describe('workflow retries and start delay', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('a failed run with a retry policy continues in a new attempt after the backoff, until attempts run out', async () => {
    const firstRunId = await start(h, 'wf-retry-policy', {
      retryPolicy: { initialInterval: { seconds: 2 }, maximumAttempts: 2 } as never,
    });
    const wft = await pollWorkflowTask(h, 'wf-retry-policy');
    await complete(h, wft.taskToken, [cmd.fail('first failure')]);
    const failed = (await history(h, 'wf-retry-policy', firstRunId)).at(
      -1,
    )?.workflowExecutionFailedEventAttributes;
    assert.equal(failed?.retryState, RetryState.RETRY_STATE_IN_PROGRESS);
    const secondRunId = failed?.newExecutionRunId;
    assert.ok(secondRunId);
    await settle();
    assert.equal(
      h.matching.workflowTasks.filter((t) => t.runId === secondRunId).length,
      0,
      'held back by backoff',
    );
    await advance(h, 2_000);
    const retry = await pollWorkflowTask(h, 'wf-retry-policy');
    assert.equal(retry.workflowExecution?.runId, secondRunId);
    const started = retry.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
    assert.equal(started?.attempt, 2);
    assert.equal(started?.firstExecutionRunId, firstRunId);
    assert.equal(started?.continuedExecutionRunId, firstRunId);
    assert.equal(started?.continuedFailure?.message, 'first failure');
    assert.equal(Number(started?.firstWorkflowTaskBackoff?.seconds), 2);
    await complete(h, retry.taskToken, [cmd.fail('second failure')]);
    const last = (await history(h, 'wf-retry-policy', secondRunId!)).at(
      -1,
    )?.workflowExecutionFailedEventAttributes;
    assert.equal(last?.retryState, RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
    assert.equal(last?.newExecutionRunId, '');
  });

  test('a run timeout with a retry policy starts the next attempt; the last attempt times out for good', async () => {
    const firstRunId = await start(h, 'wf-rto-retry', {
      workflowRunTimeout: { seconds: 10 } as never,
      retryPolicy: { initialInterval: { seconds: 1 }, maximumAttempts: 2 } as never,
    });
    await advance(h, 10_000);
    const timedOut = (await history(h, 'wf-rto-retry', firstRunId)).at(
      -1,
    )?.workflowExecutionTimedOutEventAttributes;
    assert.equal(timedOut?.retryState, RetryState.RETRY_STATE_IN_PROGRESS);
    const secondRunId = timedOut?.newExecutionRunId;
    assert.ok(secondRunId);
    await advance(h, 1_000);
    const wft = await pollWorkflowTask(h, 'wf-rto-retry');
    assert.equal(wft.workflowExecution?.runId, secondRunId);
    assert.equal(wft.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.attempt, 2);
    await advance(h, 10_000);
    const last = (await history(h, 'wf-rto-retry', secondRunId!)).at(
      -1,
    )?.workflowExecutionTimedOutEventAttributes;
    assert.equal(last?.retryState, RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
  });

  test('a start delay holds the first workflow task back; signals meanwhile are recorded', async () => {
    await start(h, 'wf-delay', { workflowStartDelay: { seconds: 5 } as never });
    await signal(h, 'wf-delay', 'early');
    assert.deepEqual(await eventNames(h, 'wf-delay'), [
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_EXECUTION_SIGNALED',
    ]);
    assert.equal(h.matching.workflowTasks.filter((t) => t.workflowId === 'wf-delay').length, 0);
    await advance(h, 5_000);
    assert.deepEqual(await eventNames(h, 'wf-delay'), [
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    const wft = await pollWorkflowTask(h, 'wf-delay');
    assert.equal(Number(wft.startedEventId), 4);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@odin/api';
import {
  cmd,
  complete,
  ctx,
  eventNames,
  NS,
  payloads,
  payloadText,
  pollActivityTask,
  pollWorkflowTask,
  setup,
  start,
} from './harness.js';
import type { Harness } from './harness.js';

describe('workflow → activity → completion', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('start writes WorkflowExecutionStarted with run ids and schedules the first workflow task', async () => {
    const runId = await start(h, 'wf-start');
    const events = await eventNames(h, 'wf-start');
    assert.deepEqual(events, ['WORKFLOW_EXECUTION_STARTED', 'WORKFLOW_TASK_SCHEDULED']);
    const task = await pollWorkflowTask(h, 'wf-start');
    const started = task.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
    assert.equal(started?.originalExecutionRunId, runId);
    assert.equal(started?.firstExecutionRunId, runId);
    assert.equal(started?.attempt, 1);
    assert.equal(Number(started?.workflowTaskTimeout?.seconds), 10);
    assert.equal(task.workflowExecutionTaskQueue?.name, 'tq');
    assert.equal(Number(task.startedEventId), 3);
    assert.equal(task.history?.events?.length, 3);
    assert.ok(task.taskToken && task.taskToken.length > 0);
  });

  test('an activity round trip ends with the result readable through the close-event long poll', async () => {
    assert.equal(h.history.recordsSdkMetadata, true);
    const runId = await start(h, 'wf-act');
    const wft1 = await pollWorkflowTask(h, 'wf-act');
    await complete(h, wft1.taskToken, [cmd.activity('a1')], {
      sdkMetadata: { langUsedFlags: [1, 2] },
    });
    const act = await pollActivityTask(h, 'wf-act');
    assert.equal(act.activityId, 'a1');
    assert.equal(act.attempt, 1);
    assert.equal(payloadText(act.input), 'a');
    assert.equal(act.workflowNamespace, NS.name);

    // The result long poll waits for the close event.
    const resultPoll = h.history.getWorkflowExecutionHistory(
      NS,
      {
        namespace: NS.name,
        execution: { workflowId: 'wf-act' },
        waitNewEvent: true,
        historyEventFilterType:
          temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
      },
      ctx(h.clock.now() + 70_000),
    );

    await h.history.respondActivityTaskCompleted(
      NS,
      { namespace: NS.name, taskToken: act.taskToken, result: payloads('a-done'), identity: 'worker' },
      ctx(),
    );
    const wft2 = await pollWorkflowTask(h, 'wf-act');
    assert.equal(Number(wft2.previousStartedEventId), 3);
    const completedEvent = wft2.history?.events?.find((e) => e.activityTaskCompletedEventAttributes);
    assert.equal(payloadText(completedEvent?.activityTaskCompletedEventAttributes?.result), 'a-done');
    await complete(h, wft2.taskToken, [cmd.complete('done')]);

    const result = await resultPoll;
    assert.equal(result.history?.events?.length, 1);
    const close = result.history!.events![0]!;
    assert.equal(payloadText(close.workflowExecutionCompletedEventAttributes?.result), 'done');

    assert.deepEqual(await eventNames(h, 'wf-act', runId), [
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
    const events = (
      await h.history.getWorkflowExecutionHistory(
        NS,
        { namespace: NS.name, execution: { workflowId: 'wf-act' } },
        ctx(),
      )
    ).history!.events!;
    assert.deepEqual(
      events.map((e) => Number(e.eventId)),
      events.map((_, i) => i + 1),
    );
    assert.deepEqual(events[3]?.workflowTaskCompletedEventAttributes?.sdkMetadata?.langUsedFlags, [1, 2]);
  });

  test('a stale workflow task token is refused with NOT_FOUND', async () => {
    await start(h, 'wf-stale');
    const wft = await pollWorkflowTask(h, 'wf-stale');
    await complete(h, wft.taskToken, [cmd.complete('x')]);
    await assert.rejects(
      complete(h, wft.taskToken, [cmd.complete('y')]),
      (e: { code?: number }) => e.code === 5,
    );
  });

  test('recording a workflow task started is idempotent by request id and refuses other requests', async () => {
    await start(h, 'wf-idem');
    await new Promise((r) => setImmediate(r));
    const task = h.matching.workflowTasks.find((t) => t.workflowId === 'wf-idem')!;
    const req = {
      workflowId: 'wf-idem',
      runId: task.runId,
      scheduledEventId: task.scheduledEventId,
      requestId: 'poll-1',
      pollRequest: { namespace: NS.name, identity: 'w' },
    };
    const first = await h.history.recordWorkflowTaskStarted(NS, req, ctx());
    const again = await h.history.recordWorkflowTaskStarted(NS, req, ctx());
    assert.equal(Number(again.startedEventId), Number(first.startedEventId));
    await assert.rejects(
      h.history.recordWorkflowTaskStarted(NS, { ...req, requestId: 'poll-2' }, ctx()),
      (e: { code?: number }) => e.code === 5,
    );
  });
});

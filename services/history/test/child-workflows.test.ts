import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@odin/api';
import {
  cmd,
  complete,
  ctx,
  eventNames,
  history,
  NS,
  payloads,
  payloadText,
  pollWorkflowTask,
  settle,
  setup,
  start,
} from './harness.js';
import type { Harness } from './harness.js';

const CommandType = temporal.api.enums.v1.CommandType;

describe('child workflows', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('a child starts with its parent recorded and its result reaches the parent', async () => {
    const parentRunId = await start(h, 'parent-1');
    const wft = await pollWorkflowTask(h, 'parent-1');
    await complete(h, wft.taskToken, [cmd.startChild('child-1')]);
    await settle();
    assert.deepEqual((await eventNames(h, 'parent-1')).slice(4), [
      'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
      'CHILD_WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    const childTask = await pollWorkflowTask(h, 'child-1');
    const started = childTask.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
    assert.equal(started?.parentWorkflowExecution?.workflowId, 'parent-1');
    assert.equal(started?.parentWorkflowExecution?.runId, parentRunId);
    assert.equal(Number(started?.parentInitiatedEventId), 5);
    assert.equal(payloadText(started?.input), 'child-in');
    const parentTask = await pollWorkflowTask(h, 'parent-1');
    await complete(h, parentTask.taskToken, []);
    await complete(h, childTask.taskToken, [cmd.complete('child-out')]);
    await settle();
    const parentEvents = await history(h, 'parent-1');
    const done = parentEvents.find((e) => e.childWorkflowExecutionCompletedEventAttributes);
    const attrs = done?.childWorkflowExecutionCompletedEventAttributes;
    assert.equal(payloadText(attrs?.result), 'child-out');
    assert.equal(Number(attrs?.initiatedEventId), 5);
    assert.equal(Number(attrs?.startedEventId), 6);
    assert.equal(attrs?.workflowExecution?.workflowId, 'child-1');
    assert.equal((await eventNames(h, 'parent-1')).at(-1), 'WORKFLOW_TASK_SCHEDULED');
  });

  test('a child id already in use fails the start in the parent', async () => {
    await start(h, 'taken-child');
    await start(h, 'parent-2');
    const wft = await pollWorkflowTask(h, 'parent-2');
    await complete(h, wft.taskToken, [cmd.startChild('taken-child')]);
    await settle();
    assert.deepEqual((await eventNames(h, 'parent-2')).slice(4), [
      'START_CHILD_WORKFLOW_EXECUTION_INITIATED',
      'START_CHILD_WORKFLOW_EXECUTION_FAILED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
  });

  test('closing the parent terminates its open children (parent-close policy TERMINATE)', async () => {
    await start(h, 'parent-3');
    const wft = await pollWorkflowTask(h, 'parent-3');
    await complete(h, wft.taskToken, [cmd.startChild('child-3')]);
    await settle();
    await h.history.terminateWorkflowExecution(
      NS,
      { namespace: NS.name, workflowExecution: { workflowId: 'parent-3' }, reason: 'done' },
      ctx(),
    );
    await settle();
    assert.equal((await eventNames(h, 'child-3')).at(-1), 'WORKFLOW_EXECUTION_TERMINATED');
  });
});

describe('signalling and cancelling other workflows', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('a workflow signals and cancels another; the source records both deliveries and a failure', async () => {
    await start(h, 'target');
    await start(h, 'source');
    const wft = await pollWorkflowTask(h, 'source');
    await complete(h, wft.taskToken, [
      {
        commandType: CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
        signalExternalWorkflowExecutionCommandAttributes: {
          namespace: NS.name,
          execution: { workflowId: 'target' },
          signalName: 'poke',
          input: payloads('hi'),
        },
      },
      {
        commandType: CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
        requestCancelExternalWorkflowExecutionCommandAttributes: { namespace: NS.name, workflowId: 'target' },
      },
      {
        commandType: CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
        signalExternalWorkflowExecutionCommandAttributes: {
          namespace: NS.name,
          execution: { workflowId: 'nobody' },
          signalName: 'poke',
        },
      },
    ]);
    await settle();
    const target = await history(h, 'target');
    const signaled = target.find((e) => e.workflowExecutionSignaledEventAttributes);
    assert.equal(signaled?.workflowExecutionSignaledEventAttributes?.signalName, 'poke');
    assert.equal(payloadText(signaled?.workflowExecutionSignaledEventAttributes?.input), 'hi');
    const cancel = target.find((e) => e.workflowExecutionCancelRequestedEventAttributes);
    assert.equal(
      cancel?.workflowExecutionCancelRequestedEventAttributes?.externalWorkflowExecution?.workflowId,
      'source',
    );
    const names = await eventNames(h, 'source');
    assert.ok(names.includes('EXTERNAL_WORKFLOW_EXECUTION_SIGNALED'));
    assert.ok(names.includes('EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED'));
    assert.ok(names.includes('SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED'));
    // One workflow task follows the outcomes (later outcomes land after it while it is only scheduled).
    assert.equal(
      names.slice(names.indexOf('WORKFLOW_TASK_COMPLETED')).filter((n) => n === 'WORKFLOW_TASK_SCHEDULED')
        .length,
      1,
    );
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
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
  setup,
  signal,
  start,
  startRequest,
  TASK_QUEUE,
} from './harness.js';
import type { Harness } from './harness.js';

const Reuse = temporal.api.enums.v1.WorkflowIdReusePolicy;
const Conflict = temporal.api.enums.v1.WorkflowIdConflictPolicy;

describe('signals, cancellation and termination', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('signals arriving during a workflow task are buffered and written after its command events', async () => {
    await start(h, 'wf-buffer');
    const wft = await pollWorkflowTask(h, 'wf-buffer');
    await signal(h, 'wf-buffer', 's1');
    await signal(h, 'wf-buffer', 's2');
    assert.deepEqual(await eventNames(h, 'wf-buffer'), [
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_TASK_STARTED',
    ]);
    await complete(h, wft.taskToken, [cmd.timer('t', 60)]);
    assert.deepEqual((await eventNames(h, 'wf-buffer')).slice(3), [
      'WORKFLOW_TASK_COMPLETED',
      'TIMER_STARTED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    const signals = (await history(h, 'wf-buffer')).filter((e) => e.workflowExecutionSignaledEventAttributes);
    assert.deepEqual(
      signals.map((e) => e.workflowExecutionSignaledEventAttributes?.signalName),
      ['s1', 's2'],
    );
  });

  test('a retried signal request is applied once', async () => {
    await start(h, 'wf-dedupe');
    await signal(h, 'wf-dedupe', 'once', 'req-1');
    await signal(h, 'wf-dedupe', 'once', 'req-1');
    const names = await eventNames(h, 'wf-dedupe');
    assert.equal(names.filter((n) => n === 'WORKFLOW_EXECUTION_SIGNALED').length, 1);
  });

  test('a closing command while signals are buffered fails with UnhandledCommand and runs the workflow again', async () => {
    await start(h, 'wf-unhandled');
    const wft = await pollWorkflowTask(h, 'wf-unhandled');
    await signal(h, 'wf-unhandled', 'late');
    await assert.rejects(
      complete(h, wft.taskToken, [cmd.complete('done')]),
      (e: Error & { code?: number }) => {
        return e.code === 3 && e.message === 'UnhandledCommand';
      },
    );
    assert.deepEqual((await eventNames(h, 'wf-unhandled')).slice(3), [
      'WORKFLOW_TASK_FAILED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
    const next = await pollWorkflowTask(h, 'wf-unhandled');
    assert.equal(next.attempt, 1);
    await complete(h, next.taskToken, [cmd.complete('done')]);
    assert.equal((await eventNames(h, 'wf-unhandled')).at(-1), 'WORKFLOW_EXECUTION_COMPLETED');
  });

  test('signal-with-start starts a run whose second event is the signal, then signals the running run', async () => {
    const req = {
      namespace: NS.name,
      workflowId: 'wf-sws',
      workflowType: { name: 'wf' },
      taskQueue: { name: TASK_QUEUE },
      signalName: 'hello',
      signalInput: payloads('hi'),
      requestId: randomUUID(),
    };
    const first = await h.history.signalWithStartWorkflowExecution(NS, req, ctx());
    assert.equal(first.started, true);
    const second = await h.history.signalWithStartWorkflowExecution(
      NS,
      { ...req, requestId: randomUUID() },
      ctx(),
    );
    assert.equal(second.started, false);
    assert.equal(second.runId, first.runId);
    assert.deepEqual(await eventNames(h, 'wf-sws'), [
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_EXECUTION_SIGNALED',
      'WORKFLOW_TASK_SCHEDULED',
      'WORKFLOW_EXECUTION_SIGNALED',
    ]);
    const signaled = (await history(h, 'wf-sws'))[1];
    assert.equal(payloadText(signaled?.workflowExecutionSignaledEventAttributes?.input), 'hi');
  });

  test('cancellation requests reach the workflow, which closes with WorkflowExecutionCanceled', async () => {
    await start(h, 'wf-cancel');
    const wft = await pollWorkflowTask(h, 'wf-cancel');
    await complete(h, wft.taskToken, [cmd.timer('t', 60)]);
    await h.history.requestCancelWorkflowExecution(
      NS,
      { namespace: NS.name, workflowExecution: { workflowId: 'wf-cancel' }, reason: 'stop', requestId: 'c1' },
      ctx(),
    );
    const wft2 = await pollWorkflowTask(h, 'wf-cancel');
    assert.ok(wft2.history?.events?.some((e) => e.workflowExecutionCancelRequestedEventAttributes));
    await complete(h, wft2.taskToken, [
      {
        commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
        cancelWorkflowExecutionCommandAttributes: {},
      },
    ]);
    assert.equal((await eventNames(h, 'wf-cancel')).at(-1), 'WORKFLOW_EXECUTION_CANCELED');
    const described = await h.history.describeWorkflowExecution(
      NS,
      { namespace: NS.name, execution: { workflowId: 'wf-cancel' } },
      ctx(),
    );
    assert.equal(
      described.workflowExecutionInfo?.status,
      temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED,
    );
  });

  test('terminate closes at once, fails the in-flight task and wakes the result long poll', async () => {
    await start(h, 'wf-term');
    await pollWorkflowTask(h, 'wf-term');
    const poll = h.history.getWorkflowExecutionHistory(
      NS,
      {
        namespace: NS.name,
        execution: { workflowId: 'wf-term' },
        waitNewEvent: true,
        historyEventFilterType:
          temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT,
      },
      ctx(h.clock.now() + 60_000),
    );
    await h.history.terminateWorkflowExecution(
      NS,
      { namespace: NS.name, workflowExecution: { workflowId: 'wf-term' }, reason: 'enough' },
      ctx(),
    );
    const closed = await poll;
    assert.equal(closed.history?.events?.[0]?.workflowExecutionTerminatedEventAttributes?.reason, 'enough');
    assert.deepEqual((await eventNames(h, 'wf-term')).slice(3), [
      'WORKFLOW_TASK_FAILED',
      'WORKFLOW_EXECUTION_TERMINATED',
    ]);
    await assert.rejects(signal(h, 'wf-term', 'late'), (e: { code?: number }) => e.code === 5);
  });
});

describe('start policies', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  const startReq = startRequest;

  test('a retried start with the same request id returns the same run', async () => {
    const req = startReq('p-dedupe');
    const a = await h.history.startWorkflowExecution(NS, req, ctx());
    const b = await h.history.startWorkflowExecution(NS, req, ctx());
    assert.equal(a.runId, b.runId);
  });

  test('starting a running workflow id fails with ALREADY_EXISTS unless the conflict policy says otherwise', async () => {
    const a = await h.history.startWorkflowExecution(NS, startReq('p-conflict'), ctx());
    await assert.rejects(
      h.history.startWorkflowExecution(NS, startReq('p-conflict'), ctx()),
      (e: { code?: number; detail?: { typeName: string; value: { runId?: string } } }) => {
        return (
          e.code === 6 &&
          e.detail?.typeName === 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure' &&
          e.detail.value.runId === a.runId
        );
      },
    );
    const existing = await h.history.startWorkflowExecution(
      NS,
      startReq('p-conflict', { workflowIdConflictPolicy: Conflict.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING }),
      ctx(),
    );
    assert.equal(existing.runId, a.runId);
    assert.equal(existing.started, false);
  });

  test('reuse policies decide whether a closed workflow id may start again', async () => {
    const first = await h.history.startWorkflowExecution(NS, startReq('p-reuse'), ctx());
    const wft = await pollWorkflowTask(h, 'p-reuse');
    await complete(h, wft.taskToken, [cmd.complete('ok')]);
    await assert.rejects(
      h.history.startWorkflowExecution(
        NS,
        startReq('p-reuse', { workflowIdReusePolicy: Reuse.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE }),
        ctx(),
      ),
      (e: { code?: number }) => e.code === 6,
    );
    await assert.rejects(
      h.history.startWorkflowExecution(
        NS,
        startReq('p-reuse', {
          workflowIdReusePolicy: Reuse.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
        }),
        ctx(),
      ),
      (e: { code?: number }) => e.code === 6,
    );
    const second = await h.history.startWorkflowExecution(NS, startReq('p-reuse'), ctx());
    assert.notEqual(second.runId, first.runId);
  });

  test('TERMINATE_IF_RUNNING terminates the running run and starts a new one in the same transaction', async () => {
    const first = await h.history.startWorkflowExecution(NS, startReq('p-term'), ctx());
    const second = await h.history.startWorkflowExecution(
      NS,
      startReq('p-term', { workflowIdReusePolicy: Reuse.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING }),
      ctx(),
    );
    assert.notEqual(second.runId, first.runId);
    assert.equal((await eventNames(h, 'p-term', first.runId!)).at(-1), 'WORKFLOW_EXECUTION_TERMINATED');
    assert.deepEqual(await eventNames(h, 'p-term'), [
      'WORKFLOW_EXECUTION_STARTED',
      'WORKFLOW_TASK_SCHEDULED',
    ]);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { compatSuite } from './harness.js';

compatSuite('scenario 9: workflow id reuse', (env) => {
  test('starting a running workflow id again is WorkflowExecutionAlreadyStarted', async () => {
    const e = env();
    const taskQueue = e.taskQueue('running-dup');
    const workflowId = `running-dup-${taskQueue}`;
    const handle = await e.client.workflow.start('sleeper', { taskQueue, workflowId, args: [60_000] });
    await assert.rejects(
      e.client.workflow.start('sleeper', { taskQueue, workflowId, args: [60_000] }),
      WorkflowExecutionAlreadyStartedError,
    );
    // USE_EXISTING hands back the running run instead of failing.
    const existing = await e.client.workflow.start('sleeper', {
      taskQueue,
      workflowId,
      args: [60_000],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    assert.equal(existing.firstExecutionRunId, handle.firstExecutionRunId);
    // TERMINATE_EXISTING replaces it.
    const replacement = await e.client.workflow.start('sleeper', {
      taskQueue,
      workflowId,
      args: [60_000],
      workflowIdConflictPolicy: 'TERMINATE_EXISTING',
    });
    assert.notEqual(replacement.firstExecutionRunId, handle.firstExecutionRunId);
    const old = await e.client.workflow.getHandle(workflowId, handle.firstExecutionRunId).describe();
    assert.equal(old.status.name, 'TERMINATED');
    await replacement.terminate('test over');
  });

  test('reuse policies decide whether a closed workflow id may start again', async () => {
    const e = env();
    const taskQueue = e.taskQueue('reuse');
    await e.withWorker(taskQueue, async () => {
      const completedId = `completed-${taskQueue}`;
      await e.client.workflow.execute('maybeFail', { taskQueue, workflowId: completedId, args: [false] });
      await assert.rejects(
        e.client.workflow.start('maybeFail', {
          taskQueue,
          workflowId: completedId,
          args: [false],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        }),
        WorkflowExecutionAlreadyStartedError,
      );
      await assert.rejects(
        e.client.workflow.start('maybeFail', {
          taskQueue,
          workflowId: completedId,
          args: [false],
          workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        }),
        WorkflowExecutionAlreadyStartedError,
      );
      const again = await e.client.workflow.execute('maybeFail', {
        taskQueue,
        workflowId: completedId,
        args: [false],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
      assert.equal(again, 'fine');

      const failedId = `failed-${taskQueue}`;
      await assert.rejects(
        e.client.workflow.execute('maybeFail', { taskQueue, workflowId: failedId, args: [true] }),
      );
      const retried = await e.client.workflow.execute('maybeFail', {
        taskQueue,
        workflowId: failedId,
        args: [false],
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      });
      assert.equal(retried, 'fine');
    });
  });

  test('a start retried with the same request id returns the same run', async () => {
    const e = env();
    const taskQueue = e.taskQueue('start-dedup');
    const workflowId = `start-dedup-${taskQueue}`;
    const request = {
      namespace: 'default',
      workflowId,
      workflowType: { name: 'sleeper' },
      taskQueue: { name: taskQueue },
      input: { payloads: [defaultPayloadConverter.toPayload(60_000)] },
      identity: 'compat-test',
      requestId: `request-${taskQueue}`,
    };
    const first = await e.client.workflowService.startWorkflowExecution(request);
    const second = await e.client.workflowService.startWorkflowExecution(request);
    assert.ok(first.runId);
    assert.equal(second.runId, first.runId);
    await e.client.workflow.getHandle(workflowId).terminate('test over');
  });
});

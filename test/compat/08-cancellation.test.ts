import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure } from '@temporalio/common';
import { cancelled } from './activities.js';
import { compatSuite } from './harness.js';

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

compatSuite('scenario 8: cancellation and termination', (env) => {
  test('cancelling a workflow reaches its cancellation scope and its activity', async () => {
    const e = env();
    const taskQueue = e.taskQueue('cancel-wf');
    const key = `cancel-wf-${e.db}-${taskQueue}`;
    const error = await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start('cancellableWorkflow', {
        taskQueue,
        workflowId: key,
        args: [key],
      });
      await until(async () => {
        const history = await handle.fetchHistory();
        return (history.events ?? []).some((ev) => ev.activityTaskScheduledEventAttributes);
      }, 'the activity to be scheduled');
      await handle.cancel();
      return handle.result().then(
        () => assert.fail('a cancelled workflow has no result'),
        (err: unknown) => err,
      );
    });
    assert.ok(error instanceof WorkflowFailedError, String(error));
    assert.ok(error.cause instanceof CancelledFailure, String(error.cause));
    assert.ok(cancelled.has(key), 'the activity saw the cancellation');
    const description = await e.client.workflow.getHandle(key).describe();
    assert.equal(description.status.name, 'CANCELLED');
  });

  test('terminate closes a workflow at once', async () => {
    const e = env();
    const taskQueue = e.taskQueue('terminate');
    const workflowId = `terminate-${taskQueue}`;
    const error = await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start('sleeper', { taskQueue, workflowId, args: [3_600_000] });
      await handle.terminate('enough');
      return handle.result().then(
        () => assert.fail('a terminated workflow has no result'),
        (err: unknown) => err,
      );
    });
    assert.ok(error instanceof WorkflowFailedError, String(error));
    assert.ok(error.cause instanceof TerminatedFailure, String(error.cause));
    const description = await e.client.workflow.getHandle(workflowId).describe();
    assert.equal(description.status.name, 'TERMINATED');
    const history = await e.client.workflow.getHandle(workflowId).fetchHistory();
    const last = history.events?.at(-1);
    assert.equal(last?.workflowExecutionTerminatedEventAttributes?.reason, 'enough');
  });
});

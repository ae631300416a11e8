import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CompatEnv } from './harness.js';
import { compatSuite } from './harness.js';

async function statusOf(e: CompatEnv, workflowId: string, runId?: string): Promise<string> {
  return (await e.client.workflow.getHandle(workflowId, runId).describe()).status.name;
}

async function eventually(read: () => Promise<string>, want: string, ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (value === want || Date.now() > end) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

compatSuite('model 1: child workflows', (env) => {
  test("a child's result, failure and cancellation each reach the parent", async () => {
    const e = env();
    const taskQueue = e.taskQueue('child-outcome');
    const outcomes = await e.withWorker(taskQueue, () =>
      Promise.all(
        (['answer', 'fail', 'cancel'] as const).map((mode) =>
          e.client.workflow.execute('childOutcome', {
            taskQueue,
            workflowId: `outcome-${mode}-${taskQueue}`,
            args: [mode],
          }),
        ),
      ),
    );
    assert.deepEqual(outcomes, [
      'child says hello to p',
      'ChildWorkflowFailure: ChildFailed child p failed',
      'child cancelled',
    ]);
    assert.equal(await statusOf(e, `outcome-cancel-${taskQueue}-child`), 'CANCELLED');
  });

  test('parent-close policies terminate, abandon or cancel the child when the parent completes', async () => {
    const e = env();
    const taskQueue = e.taskQueue('parent-close');
    const statuses = await e.withWorker(taskQueue, async () => {
      const result: Record<string, string> = {};
      for (const policy of ['TERMINATE', 'ABANDON', 'REQUEST_CANCEL'] as const) {
        const workflowId = `close-${policy}-${taskQueue}`;
        const childRunId = await e.client.workflow.execute('closingParent', {
          taskQueue,
          workflowId,
          args: [policy],
        });
        const want = { TERMINATE: 'TERMINATED', ABANDON: 'RUNNING', REQUEST_CANCEL: 'CANCELLED' }[policy];
        result[policy] = await eventually(() => statusOf(e, `${workflowId}-child`, childRunId), want);
      }
      // The abandoned child still runs on its own and can finish.
      const abandoned = e.client.workflow.getHandle(`close-ABANDON-${taskQueue}-child`);
      await abandoned.signal('release');
      result.abandonedResult = await abandoned.result();
      return result;
    });
    assert.deepEqual(statuses, {
      TERMINATE: 'TERMINATED',
      ABANDON: 'RUNNING',
      REQUEST_CANCEL: 'CANCELLED',
      abandonedResult: 'child says hello to x',
    });
  });

  test('a child that cannot start because its id is taken is reported to the parent', async () => {
    const e = env();
    const taskQueue = e.taskQueue('child-conflict');
    const takenId = `taken-${taskQueue}`;
    const outcome = await e.withWorker(taskQueue, async () => {
      const holder = await e.client.workflow.start('modelChild', {
        taskQueue,
        workflowId: takenId,
        args: ['wait', 'h'],
      });
      const reported = await e.client.workflow.execute('conflictingChild', {
        taskQueue,
        workflowId: `conflict-parent-${taskQueue}`,
        args: [takenId],
      });
      await holder.signal('release');
      await holder.result();
      return reported;
    });
    assert.equal(outcome, 'WorkflowExecutionAlreadyStartedError');
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compatSuite } from './harness.js';

compatSuite('model 2: signalling and cancelling external workflows', (env) => {
  test('a workflow signals another workflow by id', async () => {
    const e = env();
    const taskQueue = e.taskQueue('external-signal');
    const targetId = `signal-target-${taskQueue}`;
    const callerId = `signal-caller-${taskQueue}`;
    const [called, target] = await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start('pokeTarget', { taskQueue, workflowId: targetId });
      const outcome = await e.client.workflow.execute('externalCaller', {
        taskQueue,
        workflowId: callerId,
        args: ['signal', targetId],
      });
      return [outcome, await handle.result()];
    });
    assert.equal(called, 'ok');
    assert.equal(target, `poked from ${callerId}`);
  });

  test('a workflow cancels another workflow by id', async () => {
    const e = env();
    const taskQueue = e.taskQueue('external-cancel');
    const targetId = `cancel-target-${taskQueue}`;
    const [called, target] = await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start('pokeTarget', { taskQueue, workflowId: targetId });
      const outcome = await e.client.workflow.execute('externalCaller', {
        taskQueue,
        workflowId: `cancel-caller-${taskQueue}`,
        args: ['cancel', targetId],
      });
      return [outcome, await handle.result()];
    });
    assert.equal(called, 'ok');
    assert.equal(target, 'cancelled');
  });

  test('signalling or cancelling a workflow that does not exist fails in the caller', async () => {
    const e = env();
    const taskQueue = e.taskQueue('external-missing');
    const outcomes = await e.withWorker(taskQueue, () =>
      Promise.all(
        (['signal', 'cancel'] as const).map((action) =>
          e.client.workflow.execute('externalCaller', {
            taskQueue,
            workflowId: `missing-${action}-${taskQueue}`,
            args: [action, `no-such-workflow-${taskQueue}`],
          }),
        ),
      ),
    );
    // The SDK turns the server's EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND cause into an ApplicationFailure of this type.
    assert.deepEqual(outcomes, [
      'ApplicationFailure ExternalWorkflowExecutionNotFound: Unable to signal external workflow because it was not found',
      'ApplicationFailure ExternalWorkflowExecutionNotFound: Unable to cancel external workflow because not found',
    ]);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compatSuite } from './harness.js';

compatSuite('scenario 1: a workflow calls an activity', (env) => {
  test('the client gets the activity result as the workflow result', async () => {
    const e = env();
    const taskQueue = e.taskQueue('activity');
    const result = await e.withWorker(taskQueue, () =>
      e.client.workflow.execute('greeting', { taskQueue, workflowId: `greet-${taskQueue}`, args: ['Odin'] }),
    );
    assert.equal(result, 'Hello, Odin!');
  });
});

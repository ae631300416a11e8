import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { compatSuite } from './harness.js';

compatSuite('scenario 4: timeouts', (env) => {
  test('activity schedule-to-start, start-to-close and schedule-to-close timeouts', async () => {
    const e = env();
    const taskQueue = e.taskQueue('activity-timeouts');
    const results = await e.withWorker(taskQueue, () =>
      Promise.all([
        e.client.workflow.execute('scheduleToStartTimeout', {
          taskQueue,
          workflowId: `s2s-${taskQueue}`,
          args: [`${taskQueue}-nobody`],
        }),
        e.client.workflow.execute('startToCloseTimeout', { taskQueue, workflowId: `stc-${taskQueue}` }),
        e.client.workflow.execute('scheduleToCloseTimeout', { taskQueue, workflowId: `s2c-${taskQueue}` }),
      ]),
    );
    assert.deepEqual(results, [
      'TimeoutFailure:SCHEDULE_TO_START',
      'TimeoutFailure:START_TO_CLOSE',
      'TimeoutFailure:SCHEDULE_TO_CLOSE',
    ]);
  });

  for (const [which, option] of [
    ['run', 'workflowRunTimeout'],
    ['execution', 'workflowExecutionTimeout'],
  ] as const) {
    test(`the workflow ${which} timeout closes the workflow as timed out`, async () => {
      const e = env();
      const taskQueue = e.taskQueue(`wf-${which}-timeout`);
      const workflowId = `wf-${which}-timeout-${taskQueue}`;
      const error = await e.withWorker(taskQueue, () =>
        e.client.workflow
          .execute('sleeper', { taskQueue, workflowId, args: [60_000], [option]: '1 second' })
          .then(
            () => assert.fail('the workflow should time out'),
            (err: unknown) => err,
          ),
      );
      assert.ok(error instanceof WorkflowFailedError, String(error));
      const description = await e.client.workflow.getHandle(workflowId).describe();
      assert.equal(description.status.name, 'TIMED_OUT');
      const history = await e.client.workflow.getHandle(workflowId).fetchHistory();
      assert.ok(
        history.events?.at(-1)?.workflowExecutionTimedOutEventAttributes,
        'the last event is TimedOut',
      );
    });
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { attemptTimes, calls } from './activities.js';
import { compatSuite } from './harness.js';

compatSuite('scenario 2: activity retries', (env) => {
  test('two retryable failures then success, with the policy backoff between attempts', async () => {
    const e = env();
    const taskQueue = e.taskQueue('retry');
    const key = `flaky-${e.db}-${taskQueue}`;
    const result = await e.withWorker(taskQueue, () =>
      e.client.workflow.execute('retryingWorkflow', { taskQueue, workflowId: key, args: [key, 2] }),
    );
    assert.equal(result, 'ok after 3 attempts');
    assert.equal(calls[key], 3);
    const times = attemptTimes[key] ?? [];
    assert.equal(times.length, 3);
    // initialInterval 200 ms, coefficient 2: at least 200 ms, then at least 400 ms between attempts.
    assert.ok(times[1]! - times[0]! >= 190, `first backoff was ${times[1]! - times[0]!} ms`);
    assert.ok(times[2]! - times[1]! >= 390, `second backoff was ${times[2]! - times[1]!} ms`);
  });

  test('a non-retryable failure fails the workflow with the activity failure as cause', async () => {
    const e = env();
    const taskQueue = e.taskQueue('fatal');
    const error = await e.withWorker(taskQueue, () =>
      e.client.workflow
        .execute('fatalWorkflow', { taskQueue, workflowId: `fatal-${taskQueue}`, args: ['boom'] })
        .then(
          () => assert.fail('the workflow should fail'),
          (err: unknown) => err,
        ),
    );
    assert.ok(error instanceof WorkflowFailedError, String(error));
    assert.ok(error.cause instanceof ActivityFailure, String(error.cause));
    const root = error.cause.cause;
    assert.ok(root instanceof ApplicationFailure, String(root));
    assert.equal(root.type, 'Fatal');
    assert.equal(root.nonRetryable, true);
    assert.equal(root.message, 'boom');
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cancelled, heartbeatStarts } from './activities.js';
import { compatSuite } from './harness.js';

compatSuite('scenario 3: heartbeats', (env) => {
  test('heartbeat details survive a retry', async () => {
    const e = env();
    const taskQueue = e.taskQueue('resume');
    const key = `resume-${e.db}-${taskQueue}`;
    const result = await e.withWorker(taskQueue, () =>
      e.client.workflow.execute('resumableWorkflow', { taskQueue, workflowId: key, args: [key] }),
    );
    assert.equal(result, 6);
    assert.deepEqual(heartbeatStarts[key], [0, 3]);
  });

  test('a missed heartbeat times the attempt out', async () => {
    const e = env();
    const taskQueue = e.taskQueue('missed');
    const key = `missed-${e.db}-${taskQueue}`;
    const outcome = await e.withWorker(taskQueue, () =>
      e.client.workflow.execute('missedHeartbeatWorkflow', { taskQueue, workflowId: key, args: [key] }),
    );
    assert.equal(outcome, 'TimeoutFailure:HEARTBEAT');
  });

  test('cancellation reaches a heartbeating activity', async () => {
    const e = env();
    const taskQueue = e.taskQueue('cancel-beat');
    const key = `cancel-beat-${e.db}-${taskQueue}`;
    const outcome = await e.withWorker(taskQueue, () =>
      e.client.workflow.execute('cancelHeartbeatingWorkflow', { taskQueue, workflowId: key, args: [key] }),
    );
    assert.equal(outcome, 'cancelled');
    assert.ok(cancelled.has(key), 'the activity saw its cancellation');
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compatSuite } from './harness.js';

compatSuite('scenario 5: timers', (env) => {
  test('sleep resumes the workflow after the timer fires', async () => {
    const e = env();
    const taskQueue = e.taskQueue('sleep');
    const started = Date.now();
    const result = await e.withWorker(taskQueue, () =>
      e.client.workflow.execute('sleeper', { taskQueue, workflowId: `sleep-${taskQueue}`, args: [500] }),
    );
    assert.equal(result, 'awake');
    assert.ok(Date.now() - started >= 500, 'the workflow cannot finish before its timer is due');
  });

  test('a workflow with 1,000 timers sees every one fire', async () => {
    const e = env();
    const taskQueue = e.taskQueue('many');
    const workflowId = `many-${taskQueue}`;
    const fired = await e.withWorker(taskQueue, () =>
      e.client.workflow.execute('manyTimers', { taskQueue, workflowId, args: [1000] }),
    );
    assert.equal(fired, 1000);
    const history = await e.client.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    const started = events.filter((ev) => ev.timerStartedEventAttributes).length;
    const firedEvents = events.filter((ev) => ev.timerFiredEventAttributes).length;
    assert.equal(started, 1000);
    assert.equal(firedEvents, 1000);
  });

  test('a cancelled timer never fires', async () => {
    const e = env();
    const taskQueue = e.taskQueue('cancel-timer');
    const workflowId = `cancel-timer-${taskQueue}`;
    const outcome = await e.withWorker(taskQueue, () =>
      e.client.workflow.execute('cancelledTimer', { taskQueue, workflowId }),
    );
    assert.equal(outcome, 'cancelled');
    const history = await e.client.workflow.getHandle(workflowId).fetchHistory();
    const events = history.events ?? [];
    const started = events
      .filter((ev) => ev.timerStartedEventAttributes)
      .map((ev) => ev.timerStartedEventAttributes!.timerId);
    const canceled = events
      .filter((ev) => ev.timerCanceledEventAttributes)
      .map((ev) => ev.timerCanceledEventAttributes!.timerId);
    const fired = events
      .filter((ev) => ev.timerFiredEventAttributes)
      .map((ev) => ev.timerFiredEventAttributes!.timerId);
    assert.equal(started.length, 3, 'the 1 s timer, the 100 ms timer and the final sleep');
    assert.deepEqual(canceled, [started[0]]);
    assert.deepEqual(fired, [started[1], started[2]], 'the cancelled timer never fires');
  });
});

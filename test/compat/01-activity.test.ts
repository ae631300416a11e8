import assert from 'node:assert/strict';
import { test } from 'node:test';
import { temporal } from '@odin/api';
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

  test('a client sharing the worker connection starts eagerly: the first task comes with the start response', async () => {
    const e = env();
    const taskQueue = e.taskQueue('eager');
    const handle = await e.withWorker(taskQueue, async () => {
      const started = await e.nativeClient.workflow.start('greeting', {
        taskQueue,
        workflowId: `eager-${taskQueue}`,
        args: ['Eager'],
        requestEagerStart: true,
      });
      assert.equal(await started.result(), 'Hello, Eager!');
      return started;
    });
    assert.equal(handle.eagerlyStarted, true);
    const { events } = await handle.fetchHistory();
    const types = (events ?? []).map((ev) => ev.eventType);
    const EventType = temporal.api.enums.v1.EventType;
    // Scheduled and started in the start's own transition: no poll came between them.
    assert.deepEqual(types.slice(0, 3), [
      EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    ]);
    assert.equal(events?.[1]?.eventTime?.seconds?.toString(), events?.[2]?.eventTime?.seconds?.toString());
    assert.equal(Number(events?.[1]?.eventTime?.nanos), Number(events?.[2]?.eventTime?.nanos));
    assert.equal(types.at(-1), EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
  });
});

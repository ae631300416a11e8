import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { compatSuite } from './harness.js';

compatSuite('scenario 6: signals', (env) => {
  test('signals are delivered in the order they were sent', async () => {
    const e = env();
    const taskQueue = e.taskQueue('signal-order');
    const items = await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start('signalCollector', {
        taskQueue,
        workflowId: `order-${taskQueue}`,
        args: [10],
      });
      for (let i = 0; i < 10; i++) await handle.signal('add', `s${i}`);
      return handle.result();
    });
    assert.deepEqual(
      items,
      Array.from({ length: 10 }, (_, i) => `s${i}`),
    );
  });

  test('signal-with-start starts the workflow with the signal delivered first', async () => {
    const e = env();
    const taskQueue = e.taskQueue('signal-with-start');
    const workflowId = `sws-${taskQueue}`;
    const items = await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.signalWithStart('signalCollector', {
        taskQueue,
        workflowId,
        args: [2],
        signal: 'add',
        signalArgs: ['first'],
      });
      // A second signal-with-start on the running workflow only signals it.
      await e.client.workflow.signalWithStart('signalCollector', {
        taskQueue,
        workflowId,
        args: [2],
        signal: 'add',
        signalArgs: ['second'],
      });
      return handle.result();
    });
    assert.deepEqual(items, ['first', 'second']);
  });

  test('signals sent while workflow tasks are in flight are each applied once', async () => {
    const e = env();
    const taskQueue = e.taskQueue('signal-burst');
    const items = await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start('signalCollector', {
        taskQueue,
        workflowId: `burst-${taskQueue}`,
        args: [30],
      });
      await Promise.all(Array.from({ length: 30 }, (_, i) => handle.signal('add', `b${i}`)));
      return handle.result();
    });
    assert.equal(items.length, 30);
    assert.deepEqual([...items].sort(), Array.from({ length: 30 }, (_, i) => `b${i}`).sort());
  });

  test('a signal request retried with the same request id is applied once', async () => {
    const e = env();
    const taskQueue = e.taskQueue('signal-dedup');
    const workflowId = `dedup-${taskQueue}`;
    const items = await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start('signalCollector', { taskQueue, workflowId, args: [2] });
      const request = {
        namespace: 'default',
        workflowExecution: { workflowId },
        signalName: 'add',
        input: { payloads: [defaultPayloadConverter.toPayload('once')] },
        identity: 'compat-test',
        requestId: `retried-${taskQueue}`,
      };
      await e.client.workflowService.signalWorkflowExecution(request);
      await e.client.workflowService.signalWorkflowExecution(request);
      await handle.signal('add', 'last');
      return handle.result();
    });
    assert.deepEqual(items, ['once', 'last']);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateStage,
} from '@temporalio/client';
import { temporal } from '@odin/api';
import { compatSuite } from './harness.js';
import {
  addItemUpdate,
  cart,
  checkoutUpdate,
  finishUpdate,
  itemsQuery,
  slowAddUpdate,
} from './workflows/updates.js';

const EventType = temporal.api.enums.v1.EventType;

compatSuite('scenario 22: workflow updates', (env) => {
  test('executeUpdate returns the handler result; a validator rejection fails the call and writes nothing', async () => {
    const e = env();
    const taskQueue = e.taskQueue('update-basic');
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start(cart, { taskQueue, workflowId: `upd-basic-${taskQueue}` });
      assert.equal(await handle.executeUpdate(addItemUpdate, { args: ['apple'] }), 1);
      const before = (await handle.fetchHistory()).events?.length;
      await assert.rejects(handle.executeUpdate(addItemUpdate, { args: ['forbidden'] }), (err: unknown) => {
        assert.ok(err instanceof WorkflowUpdateFailedError);
        assert.match(String((err as WorkflowUpdateFailedError).cause?.message), /not allowed/);
        return true;
      });
      assert.equal((await handle.fetchHistory()).events?.length, before, 'a rejection leaves no event');
      assert.equal(await handle.executeUpdate(addItemUpdate, { args: ['pear'] }), 2);
      assert.deepEqual(await handle.executeUpdate(finishUpdate), ['apple', 'pear']);
      assert.deepEqual(await handle.result(), ['apple', 'pear']);
      const types = (await handle.fetchHistory()).events?.map((ev) => ev.eventType) ?? [];
      assert.equal(
        types.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED).length,
        3,
      );
      assert.equal(
        types.filter((t) => t === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED).length,
        3,
      );
    });
  });

  test('startUpdate waits for ACCEPTED; the result comes later, also through getUpdateHandle', async () => {
    const e = env();
    const taskQueue = e.taskQueue('update-async');
    await e.withWorker(taskQueue, async () => {
      const workflowId = `upd-async-${taskQueue}`;
      const handle = await e.client.workflow.start(cart, { taskQueue, workflowId });
      const started = Date.now();
      const updateHandle = await handle.startUpdate(slowAddUpdate, {
        args: ['slow', 1500],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
        updateId: 'slow-1',
      });
      assert.ok(Date.now() - started < 1500, 'accepted before the handler finished');
      const again = e.client.workflow.getHandle(workflowId).getUpdateHandle<number>('slow-1');
      assert.equal(await again.result(), 1);
      assert.equal(await updateHandle.result(), 1);
      assert.ok(Date.now() - started >= 1500, 'completed after the handler slept');
      // A rejection is the update's outcome: the handle is returned, its result fails.
      const rejected = await handle.startUpdate(addItemUpdate, {
        args: [''],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      await assert.rejects(rejected.result(), WorkflowUpdateFailedError);
      await handle.executeUpdate(finishUpdate);
      assert.deepEqual(await handle.result(), ['slow']);
    });
  });

  test('a handler that throws fails the update (written to history), unlike a rejection', async () => {
    const e = env();
    const taskQueue = e.taskQueue('update-failure');
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start(cart, { taskQueue, workflowId: `upd-fail-${taskQueue}` });
      await assert.rejects(handle.executeUpdate(checkoutUpdate, { args: ['empty cart'] }), (err: unknown) => {
        assert.ok(err instanceof WorkflowUpdateFailedError);
        assert.match(String(err.cause?.message), /Checkout refused: empty cart/);
        return true;
      });
      const types = (await handle.fetchHistory()).events?.map((ev) => ev.eventType) ?? [];
      assert.ok(types.includes(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED));
      await handle.executeUpdate(finishUpdate);
      assert.deepEqual(await handle.result(), []);
    });
  });

  test('an accepted update survives a worker restart: the new worker replays it from history and finishes it', async () => {
    const e = env();
    const taskQueue = e.taskQueue('update-worker-restart');
    const workflowId = `upd-restart-${taskQueue}`;
    const first = await e.startWorker(taskQueue, { maxCachedWorkflows: 0 });
    const handle = await e.client.workflow.start(cart, { taskQueue, workflowId });
    const updateHandle = await handle.startUpdate(slowAddUpdate, {
      args: ['kept', 1000],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
    });
    await first.stop();
    await e.withWorker(taskQueue, async () => {
      assert.equal(await updateHandle.result(), 1);
      await handle.executeUpdate(finishUpdate);
      assert.deepEqual(await handle.result(), ['kept']);
    });
  });

  test('an update id is applied once: a retried update returns the first outcome', async () => {
    const e = env();
    const taskQueue = e.taskQueue('update-dedup');
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start(cart, { taskQueue, workflowId: `upd-dedup-${taskQueue}` });
      const options = { args: ['once'] as [string], updateId: 'same-update' };
      const [a, b] = await Promise.all([
        handle.executeUpdate(addItemUpdate, options),
        handle.executeUpdate(addItemUpdate, options),
      ]);
      assert.equal(a, 1);
      assert.equal(b, 1);
      assert.equal(await handle.executeUpdate(addItemUpdate, options), 1);
      assert.deepEqual(await handle.query(itemsQuery), ['once']);
      await handle.executeUpdate(finishUpdate);
      await handle.result();
      // The run is closed: the completed update still answers, a new one is refused.
      assert.equal(await handle.executeUpdate(addItemUpdate, options), 1);
      await assert.rejects(handle.executeUpdate(addItemUpdate, { args: ['late'] }), WorkflowNotFoundError);
    });
  });

  test('update-with-start starts the workflow with the update, then updates the running one', async () => {
    const e = env();
    const taskQueue = e.taskQueue('update-with-start');
    await e.withWorker(taskQueue, async () => {
      const workflowId = `upd-uws-${taskQueue}`;
      const startOp = () =>
        new WithStartWorkflowOperation(cart, {
          taskQueue,
          workflowId,
          args: [['seed']],
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
      const first = startOp();
      const count = await e.client.workflow.executeUpdateWithStart(addItemUpdate, {
        args: ['first'],
        startWorkflowOperation: first,
      });
      assert.equal(count, 2);
      const handle = await first.workflowHandle();
      const second = startOp();
      const updateHandle = await e.client.workflow.startUpdateWithStart(slowAddUpdate, {
        args: ['second', 10],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
        startWorkflowOperation: second,
      });
      assert.equal(updateHandle.workflowRunId, (await handle.describe()).runId);
      assert.equal(await updateHandle.result(), 3);
      await handle.executeUpdate(finishUpdate);
      assert.deepEqual(await handle.result(), ['seed', 'first', 'second']);
    });
  });

  test('update-with-start with FAIL on a running workflow fails with WorkflowExecutionAlreadyStartedError', async () => {
    const e = env();
    const taskQueue = e.taskQueue('update-with-start-fail');
    await e.withWorker(taskQueue, async () => {
      const workflowId = `upd-uws-fail-${taskQueue}`;
      const handle = await e.client.workflow.start(cart, { taskQueue, workflowId });
      const operation = new WithStartWorkflowOperation(cart, {
        taskQueue,
        workflowId,
        workflowIdConflictPolicy: 'FAIL',
      });
      await assert.rejects(
        e.client.workflow.executeUpdateWithStart(addItemUpdate, {
          args: ['x'],
          startWorkflowOperation: operation,
        }),
        WorkflowExecutionAlreadyStartedError,
      );
      await handle.executeUpdate(finishUpdate);
      assert.deepEqual(await handle.result(), []);
    });
  });

  test('the workflow finishes only once its async update handlers did (allHandlersFinished)', async () => {
    const e = env();
    const taskQueue = e.taskQueue('update-handlers-finished');
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.workflow.start(cart, { taskQueue, workflowId: `upd-fin-${taskQueue}` });
      const slow = await handle.startUpdate(slowAddUpdate, {
        args: ['late', 500],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      assert.deepEqual(await handle.executeUpdate(finishUpdate), []);
      assert.deepEqual(await handle.result(), ['late']);
      assert.equal(await slow.result(), 1);
    });
  });
});

// Scenario 29: workflow updates between @odin/sdk and the official SDK 1.24, both ways, on every database: the
// official client updates a workflow an @odin/sdk worker runs, an @odin/sdk client updates a workflow the official
// worker runs (validators, async handlers, failures, update handles, update-with-start).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  WithStartWorkflowOperation as OfficialWithStartWorkflowOperation,
  WorkflowUpdateFailedError as OfficialWorkflowUpdateFailedError,
  WorkflowUpdateStage,
} from '@temporalio/client';
import {
  Connection,
  WithStartWorkflowOperation,
  WorkflowClient,
  WorkflowUpdateFailedError,
} from '@odin/sdk/client';
import { assertDeterministicReplay } from '@odin/sdk';
import { Worker } from '@odin/sdk/worker';
import { temporal } from '@odin/api';
import { compatSuite } from './harness.js';
import * as odinWorkflows from './odin-sdk-update-workflows.js';
import { addItemUpdate, checkoutUpdate, finishUpdate, slowAddUpdate } from './workflows/updates.js';

const EventType = temporal.api.enums.v1.EventType;

compatSuite('scenario 29: updates between @odin/sdk and the official SDK', (env) => {
  test('the official client updates a workflow an @odin/sdk worker runs', async () => {
    const e = env();
    const taskQueue = e.taskQueue('odin-updates');
    const connection = Connection.connect({ address: e.server.address });
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflows: odinWorkflows,
      shutdownGraceMs: 1000,
    });
    const running = worker.run();
    try {
      const handle = await e.client.workflow.start('odinCart', {
        taskQueue,
        workflowId: `odin-cart-${taskQueue}`,
      });
      assert.equal(await handle.executeUpdate(addItemUpdate, { args: ['apple'] }), 1);
      const before = (await handle.fetchHistory()).events?.length;
      await assert.rejects(handle.executeUpdate(addItemUpdate, { args: ['forbidden'] }), (error: unknown) => {
        assert.ok(error instanceof OfficialWorkflowUpdateFailedError, String(error));
        assert.match(String(error.cause?.message), /not allowed/);
        return true;
      });
      assert.equal((await handle.fetchHistory()).events?.length, before, 'a rejection leaves no event');
      const slow = await handle.startUpdate(slowAddUpdate, {
        args: ['slow', 200],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
        updateId: 'slow-1',
      });
      assert.equal(
        await e.client.workflow.getHandle(handle.workflowId).getUpdateHandle<number>('slow-1').result(),
        2,
      );
      assert.equal(await slow.result(), 2);
      await assert.rejects(handle.executeUpdate(checkoutUpdate, { args: ['closed'] }), (error: unknown) => {
        assert.ok(error instanceof OfficialWorkflowUpdateFailedError, String(error));
        assert.equal((error.cause as { type?: string }).type, 'CheckoutRefused');
        return true;
      });
      assert.deepEqual(await handle.executeUpdate(finishUpdate), ['apple', 'slow']);
      assert.deepEqual(await handle.result(), ['apple', 'slow']);

      const startWorkflowOperation = new OfficialWithStartWorkflowOperation('odinCart', {
        workflowId: `odin-cart-with-start-${taskQueue}`,
        taskQueue,
        args: [['bread']],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      assert.equal(
        await e.client.workflow.executeUpdateWithStart(addItemUpdate, {
          args: ['milk'],
          startWorkflowOperation,
        }),
        2,
      );
      const started = await startWorkflowOperation.workflowHandle();
      await started.executeUpdate(finishUpdate);
      assert.deepEqual(await started.result(), ['bread', 'milk']);

      const client = new WorkflowClient({ connection });
      await assertDeterministicReplay(await client.fetchHistory(handle.workflowId), odinWorkflows);
    } finally {
      worker.shutdown();
      await running;
      connection.close();
    }
  });

  test('an @odin/sdk client updates a workflow the official worker runs', async () => {
    const e = env();
    const taskQueue = e.taskQueue('official-updates');
    const connection = Connection.connect({ address: e.server.address });
    const client = new WorkflowClient({ connection });
    try {
      await e.withWorker(taskQueue, async () => {
        const handle = await client.start('cart', { taskQueue, workflowId: `official-cart-${taskQueue}` });
        assert.equal(await handle.executeUpdate(odinWorkflows.addItem, { args: ['apple'] }), 1);
        const before = (await handle.fetchHistory()).length;
        await assert.rejects(
          handle.executeUpdate(odinWorkflows.addItem, { args: ['forbidden'] }),
          (error: unknown) => {
            assert.ok(error instanceof WorkflowUpdateFailedError, String(error));
            assert.match(String(error.cause.message), /not allowed/);
            return true;
          },
        );
        assert.equal((await handle.fetchHistory()).length, before, 'a rejection leaves no event');
        const slow = await handle.startUpdate(odinWorkflows.slowAdd, {
          args: ['slow', 200],
          waitForStage: 'ACCEPTED',
          updateId: 'slow-1',
        });
        assert.equal(await client.getHandle(handle.workflowId).getUpdateHandle<number>('slow-1').result(), 2);
        assert.equal(await slow.result(), 2);
        await assert.rejects(
          handle.executeUpdate(odinWorkflows.checkout, { args: ['closed'] }),
          (error: unknown) => {
            assert.ok(error instanceof WorkflowUpdateFailedError, String(error));
            assert.equal((error.cause as { type?: string }).type, 'CheckoutRefused');
            return true;
          },
        );
        assert.deepEqual(await handle.executeUpdate(odinWorkflows.finish), ['apple', 'slow']);
        assert.deepEqual(await handle.result(), ['apple', 'slow']);
        const history = await handle.fetchHistory();
        assert.equal(
          history.filter(
            (event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
          ).length,
          4,
        );

        const operation = new WithStartWorkflowOperation('cart', {
          workflowId: `official-cart-with-start-${taskQueue}`,
          taskQueue,
          args: [['bread']],
          workflowIdConflictPolicy: 'USE_EXISTING',
        });
        const accepted = await client.startUpdateWithStart(odinWorkflows.addItem, {
          args: ['milk'],
          startWorkflowOperation: operation,
          waitForStage: 'ACCEPTED',
        });
        assert.equal(await accepted.result(), 2);
        const started = await operation.workflowHandle();
        assert.deepEqual(await started.executeUpdate(odinWorkflows.finish), ['bread', 'milk']);
        assert.deepEqual(await started.result(), ['bread', 'milk']);
      });
    } finally {
      connection.close();
    }
  });
});

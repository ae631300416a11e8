// Workflow updates end to end on the dev server: our client, our worker (a caching one and one that replays every
// task), histories replayed deterministically.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startDevServer } from '@odin/server';
import { temporal } from '@odin/api/public';
import {
  asResult,
  ClientErrorCodes,
  Connection,
  WithStartWorkflowOperation,
  WorkflowClient,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '../src/client/index.js';
import { ApplicationFailure } from '../src/common/failure.js';
import { assertDeterministicReplay, replayHistory } from '../src/replay.js';
import { Worker } from '../src/worker/index.js';
import { setHandler } from '../src/workflow/index.js';
import * as updates from './workflows/updates.js';

const EventType = temporal.api.enums.v1.EventType;
const activities = { greet: async (name: string) => `Hello, ${name}!` };

let server: Awaited<ReturnType<typeof startDevServer>>;
let connection: Connection;
let client: WorkflowClient;
const workers: Worker[] = [];
const running: Promise<void>[] = [];
let seq = 0;
const id = (name: string) => `${name}-${process.pid}-${++seq}`;

before(async () => {
  server = await startDevServer({ port: 0 });
  connection = Connection.connect({ address: server.address });
  client = new WorkflowClient({ connection });
  for (const [taskQueue, maxCachedWorkflows] of [
    ['updates-cached', 1000],
    ['updates-replaying', 0],
  ] as const) {
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflows: updates,
      activities,
      maxCachedWorkflows,
      shutdownGraceMs: 2000,
    });
    workers.push(worker);
    running.push(worker.run());
  }
});

after(async () => {
  for (const worker of workers) worker.shutdown();
  await Promise.all(running);
  connection.close();
  await server.stop();
});

function countEvents(history: { eventType?: number | null }[], type: number): number {
  return history.filter((event) => event.eventType === type).length;
}

for (const taskQueue of ['updates-cached', 'updates-replaying']) {
  describe(`updates on our worker (${taskQueue})`, () => {
    test('executeUpdate returns the handler result; a validator rejection fails the call and writes nothing', async () => {
      const handle = await client.start(updates.cart, { workflowId: id('cart'), taskQueue });
      assert.equal(await handle.executeUpdate(updates.addItem, { args: ['apple'] }), 1);
      const before = (await handle.fetchHistory()).length;
      await assert.rejects(
        handle.executeUpdate(updates.addItem, { args: ['forbidden'] }),
        (error: unknown) => {
          assert.ok(error instanceof WorkflowUpdateFailedError, String(error));
          assert.match(String(error.cause.message), /not allowed/);
          return true;
        },
      );
      const rejected = await asResult(handle.executeUpdate(updates.addItem, { args: [''] }));
      assert.equal(rejected.ok, false);
      if (!rejected.ok) assert.equal(rejected.error.code, ClientErrorCodes.updateFailed);
      assert.equal((await handle.fetchHistory()).length, before, 'a rejection leaves no event');
      assert.equal(await handle.executeUpdate(updates.addItem, { args: ['pear'] }), 2);
      assert.deepEqual(await handle.query(updates.items), ['apple', 'pear']);
      assert.deepEqual(await handle.executeUpdate(updates.finish), ['apple', 'pear']);
      assert.deepEqual(await handle.result(), ['apple', 'pear']);
      const history = await handle.fetchHistory();
      assert.equal(countEvents(history, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED), 3);
      assert.equal(countEvents(history, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED), 3);
      await assertDeterministicReplay(history, updates);
      await assert.rejects(
        client.getHandle(id('missing')).executeUpdate(updates.addItem, { args: ['x'] }),
        WorkflowNotFoundError,
      );
      if (taskQueue === 'updates-cached') {
        // The discarded speculative tasks (rejections) left the cached run where history is: no task fell back to
        // fetching the whole history.
        assert.equal(workers[0]!.stats.fullHistoryFetches, 0);
        assert.ok(workers[0]!.stats.resumedWorkflowTasks > 0);
      }
    });

    test('startUpdate returns at ACCEPTED; the result comes later, also through getUpdateHandle; allHandlersFinished waits for it', async () => {
      const workflowId = id('cart-slow');
      const handle = await client.start(updates.cart, { workflowId, taskQueue });
      const slow = await handle.startUpdate(updates.slowAdd, {
        args: ['slow', 500],
        waitForStage: 'ACCEPTED',
        updateId: 'slow-1',
      });
      assert.equal(slow.updateId, 'slow-1');
      assert.equal(slow.workflowRunId, handle.runId);
      // `finish` answers at once, but the workflow returns only once the slow handler is done.
      assert.deepEqual(await handle.executeUpdate(updates.finish), []);
      assert.equal(await client.getHandle(workflowId).getUpdateHandle<number>('slow-1').result(), 1);
      assert.equal(await slow.result(), 1);
      assert.deepEqual(await handle.result(), ['slow']);
      const history = await handle.fetchHistory();
      assert.equal(countEvents(history, EventType.EVENT_TYPE_TIMER_FIRED), 1);
      await assertDeterministicReplay(history, updates);
    });

    test('a handler that throws an ApplicationFailure fails the update (written to history), unlike a rejection', async () => {
      const handle = await client.start(updates.cart, { workflowId: id('cart-checkout'), taskQueue });
      await assert.rejects(
        handle.executeUpdate(updates.checkout, { args: ['no stock'] }),
        (error: unknown) => {
          assert.ok(error instanceof WorkflowUpdateFailedError, String(error));
          assert.ok(error.cause instanceof ApplicationFailure, String(error.cause));
          assert.equal(error.cause.type, 'CheckoutRefused');
          assert.equal(error.cause.message, 'Checkout refused: no stock');
          return true;
        },
      );
      assert.equal(await handle.executeUpdate(updates.greetItem, { args: ['Ada'] }), 'Hello, Ada!');
      await handle.executeUpdate(updates.finish);
      assert.deepEqual(await handle.result(), ['Ada']);
      const history = await handle.fetchHistory();
      const completed = history.filter(
        (event) => event.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
      );
      assert.equal(completed.length, 3);
      assert.ok(completed[0]?.workflowExecutionUpdateCompletedEventAttributes?.outcome?.failure);
      await assertDeterministicReplay(history, updates);
    });

    test('update-with-start starts the workflow with the update, then reaches the running one', async () => {
      const workflowId = id('cart-with-start');
      const operation = new WithStartWorkflowOperation(updates.cart, {
        workflowId,
        taskQueue,
        args: [['bread']],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      assert.equal(
        await client.executeUpdateWithStart(updates.addItem, {
          args: ['milk'],
          startWorkflowOperation: operation,
        }),
        2,
      );
      const started = await operation.workflowHandle();
      assert.ok(started.runId);
      const again = new WithStartWorkflowOperation(updates.cart, {
        workflowId,
        taskQueue,
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      const accepted = await client.startUpdateWithStart(updates.addItem, {
        args: ['eggs'],
        startWorkflowOperation: again,
        waitForStage: 'ACCEPTED',
      });
      assert.equal((await again.workflowHandle()).runId, started.runId, 'the running workflow was used');
      assert.equal(await accepted.result(), 3);
      await assert.rejects(
        client.startUpdateWithStart(updates.addItem, {
          startWorkflowOperation: again,
          waitForStage: 'ACCEPTED',
        }),
        /already used/,
      );
      const conflicting = new WithStartWorkflowOperation(updates.cart, {
        workflowId,
        taskQueue,
        workflowIdConflictPolicy: 'FAIL',
      });
      await assert.rejects(
        client.executeUpdateWithStart(updates.addItem, {
          args: ['tea'],
          startWorkflowOperation: conflicting,
        }),
        WorkflowExecutionAlreadyStartedError,
      );
      await assert.rejects(conflicting.workflowHandle(), WorkflowExecutionAlreadyStartedError);
      await started.executeUpdate(updates.finish);
      assert.deepEqual(await started.result(), ['bread', 'milk', 'eggs']);
      const history = await started.fetchHistory();
      assert.equal(countEvents(history, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED), 3);
      await assertDeterministicReplay(history, updates);
    });
  });
}

describe('updates to a run the worker evicted', () => {
  test('an update on an evicted idle run comes on the sticky queue with a speculative task only the poll carries, and is accepted', async () => {
    // One cached run at most: starting the second cart evicts the first, whose next task (the update's speculative
    // one, on the sticky queue) holds a partial history; the worker replays from the fetched full history, which
    // lacks the speculative task's events, so it must keep the delivered ones.
    const taskQueue = 'updates-evicting';
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflows: updates,
      activities,
      maxCachedWorkflows: 1,
      shutdownGraceMs: 2000,
    });
    await worker.runUntil(async () => {
      const first = await client.start(updates.cart, { workflowId: id('cart-evicted'), taskQueue });
      assert.equal(await first.executeUpdate(updates.addItem, { args: ['apple'] }), 1);
      const second = await client.start(updates.cart, { workflowId: id('cart-evicting'), taskQueue });
      assert.equal(await second.executeUpdate(updates.addItem, { args: ['pear'] }), 1);
      assert.equal(await first.executeUpdate(updates.addItem, { args: ['plum'] }), 2);
      assert.ok(worker.stats.fullHistoryFetches > 0, 'the evicted run was replayed from a fetched history');
      for (const handle of [first, second]) await handle.executeUpdate(updates.finish);
      assert.deepEqual(await first.result(), ['apple', 'plum']);
    });
  });
});

describe('replaying update histories', () => {
  test('a handler that issues other commands than history recorded is reported as a divergence', async () => {
    const handle = await client.start(updates.cart, {
      workflowId: id('cart-diverge'),
      taskQueue: 'updates-cached',
    });
    await handle.executeUpdate(updates.slowAdd, { args: ['late', 10] });
    await handle.executeUpdate(updates.finish);
    await handle.result();
    const history = await handle.fetchHistory();
    assert.equal((await replayHistory(history, updates)).divergence, undefined);
    // The same cart, but its slowAdd no longer sleeps: the replayed update completes where history has a timer.
    async function cart(initial: string[] = []): Promise<string[]> {
      const outcome = updates.cart(initial);
      setHandler(updates.slowAdd, async () => 1);
      return outcome;
    }
    const replay = await replayHistory(history, { cart });
    assert.ok(replay.divergence, 'the changed handler diverges');
    assert.match(replay.divergence.message, /TIMER_STARTED|UPDATE_COMPLETED/);
  });
});

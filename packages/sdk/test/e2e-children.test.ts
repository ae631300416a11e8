// End-to-end on the dev server: child workflows, parent-close policies, signalling and cancelling external
// workflows, continue-as-new chains — our client and our worker over real gRPC.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@odin/api/public';
import { startDevServer } from '@odin/server';
import { Connection, WorkflowClient, WorkflowFailedError } from '../src/client/index.js';
import { CancelledFailure } from '../src/common/failure.js';
import { assertDeterministicReplay } from '../src/replay.js';
import { Worker } from '../src/worker/index.js';
import * as children from './workflows/children.js';

const workflows = { ...children };
const taskQueue = 'sdk-e2e-children';

let server: Awaited<ReturnType<typeof startDevServer>>;
let connection: Connection;
let client: WorkflowClient;
let worker: Worker;
let running: Promise<void>;
let seq = 0;
const id = (name: string) => `${name}-${process.pid}-${++seq}`;

before(async () => {
  server = await startDevServer({ port: 0 });
  connection = Connection.connect({ address: server.address });
  client = new WorkflowClient({ connection });
  worker = await Worker.create({ connection, taskQueue, workflows, activities: {}, shutdownGraceMs: 2000 });
  running = worker.run();
});

after(async () => {
  worker.shutdown();
  await running;
  connection.close();
  await server.stop();
});

async function eventually<T>(probe: () => Promise<T | undefined>, attempts = 200): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not reached');
}

/** Resolves once the workflow's history has an event of `eventType`. */
async function historyHas(workflowId: string, eventType: number): Promise<void> {
  await eventually(async () =>
    (await client.fetchHistory(workflowId)).some((e) => e.eventType === eventType) ? true : undefined,
  );
}

async function statusOf(workflowId: string, runId?: string): Promise<string> {
  return (await client.describe(workflowId, runId)).status;
}

async function finalStatusOf(workflowId: string): Promise<string> {
  return await eventually(async () => {
    const status = await statusOf(workflowId);
    return status === 'RUNNING' ? undefined : status;
  });
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return await promise.then(
    () => assert.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

const { EventType } = temporal.api.enums.v1;
const CHILD_STARTED = EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED;
const CANCEL_EXTERNAL_INITIATED = EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED;

describe('child workflows on the dev server', () => {
  test('a parent executes a child and gets its result; the child knows its parent', async () => {
    const workflowId = id('parent-echo');
    const handle = await client.start(children.parentOfEcho, { workflowId, taskQueue, args: ['hi'] });
    assert.equal(await handle.result(), `parent got: hi from ${workflowId}-child (parent ${workflowId})`);
    const child = await client.describe(`${workflowId}-child`);
    assert.equal(child.status, 'COMPLETED');
    assert.equal(child.type, 'echoChild');
    await assertDeterministicReplay(await handle.fetchHistory(), workflows, { workflowId });
  });

  test('a child failure reaches the parent as ChildWorkflowFailure with the ApplicationFailure cause', async () => {
    const workflowId = id('parent-fail');
    const result = await client.execute(children.parentOfFailingChild, {
      workflowId,
      taskQueue,
      args: ['disk full'],
    });
    assert.equal(result, `failingChild ${workflowId}-child failed with ChildBroke: disk full`);
    assert.equal(await statusOf(`${workflowId}-child`), 'FAILED');
    await assertDeterministicReplay(await client.fetchHistory(workflowId), workflows, { workflowId });
  });

  for (const [policy, expected] of [
    ['REQUEST_CANCEL', 'CANCELED'],
    ['TERMINATE', 'TERMINATED'],
  ] as const) {
    test(`cancelling the parent applies parent-close policy ${policy}: the child ends ${expected}`, async () => {
      const workflowId = id(`policy-${policy.toLowerCase()}`);
      const handle = await client.start(children.parentWithPolicy, { workflowId, taskQueue, args: [policy] });
      await historyHas(workflowId, CHILD_STARTED);
      assert.equal(await statusOf(`${workflowId}-child`), 'RUNNING');
      await handle.cancel('parent no longer needed');
      const error = await rejection(handle.result());
      assert.ok(error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure);
      assert.equal(await statusOf(workflowId), 'CANCELED');
      assert.equal(await finalStatusOf(`${workflowId}-child`), expected);
      const parentHistory = await handle.fetchHistory();
      assert.ok(
        !parentHistory.some((e) => e.eventType === CANCEL_EXTERNAL_INITIATED),
        'the parent asked nothing of the child: the server applied the policy',
      );
    });
  }

  test('parent-close policy ABANDON leaves the child running after the parent is cancelled', async () => {
    const workflowId = id('policy-abandon');
    const handle = await client.start(children.parentWithPolicy, {
      workflowId,
      taskQueue,
      args: ['ABANDON'],
    });
    await historyHas(workflowId, CHILD_STARTED);
    await handle.cancel();
    await rejection(handle.result());
    // A policy applied by mistake would act when the parent closes; running another workflow to its end gives
    // the server's close processing that time (it cannot prove a negative, but it never fails a correct server).
    await client.execute(children.echoChild, { workflowId: id('barrier'), taskQueue, args: ['x'] });
    assert.equal(await statusOf(`${workflowId}-child`), 'RUNNING');
    const childHistory = await client.fetchHistory(`${workflowId}-child`);
    assert.ok(
      !childHistory.some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED),
    );
    await client.terminate(`${workflowId}-child`, undefined, 'cleanup');
  });

  test('cancelling a parent cancels a child started in its scope; the parent ends cancelled', async () => {
    const workflowId = id('scope-cancel');
    const handle = await client.start(children.parentCancelsChildThroughScope, { workflowId, taskQueue });
    await historyHas(workflowId, CHILD_STARTED);
    await handle.cancel();
    const error = await rejection(handle.result());
    assert.ok(error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure);
    assert.equal(await statusOf(`${workflowId}-child`), 'CANCELED');
  });
});

describe('more child workflow behaviour on the dev server', () => {
  test('a parent signals its child through the child handle', async () => {
    const workflowId = id('parent-signals');
    const handle = await client.start(children.parentSignalsChild, { workflowId, taskQueue });
    assert.equal(await handle.result(), 'poked by its parent');
    await assertDeterministicReplay(await handle.fetchHistory(), workflows, { workflowId });
  });

  test('starting a child under a running workflow id fails inside the parent', async () => {
    const takenId = id('taken');
    const taken = await client.start(children.waitingChild, { workflowId: takenId, taskQueue });
    assert.equal(
      await client.execute(children.parentReusesRunningId, {
        workflowId: id('parent-reuse'),
        taskQueue,
        args: [takenId],
      }),
      'failed: WorkflowExecutionAlreadyStarted',
    );
    assert.equal(await statusOf(takenId), 'RUNNING');
    await taken.terminate('cleanup');
  });

  test('a parent cancelling its child sees ChildWorkflowFailure with a cancellation cause', async () => {
    const workflowId = id('parent-cancels-child');
    const handle = await client.start(children.parentCancelsItsChild, { workflowId, taskQueue });
    assert.equal(await handle.result(), `child ${workflowId}-child cancelled`);
    assert.equal(await statusOf(`${workflowId}-child`), 'CANCELED');
    await assertDeterministicReplay(await handle.fetchHistory(), workflows, { workflowId });
  });

  test('terminating the parent applies parent-close policy TERMINATE to the child', async () => {
    const workflowId = id('terminated-parent');
    const handle = await client.start(children.parentWithPolicy, {
      workflowId,
      taskQueue,
      args: ['TERMINATE'],
    });
    await historyHas(workflowId, CHILD_STARTED);
    await handle.terminate('stop');
    assert.equal(await finalStatusOf(`${workflowId}-child`), 'TERMINATED');
  });
});

describe('external workflows on the dev server', () => {
  test('a workflow signals another running workflow, which receives the signal', async () => {
    const targetId = id('poke-target');
    const target = await client.start(children.pokeTarget, { workflowId: targetId, taskQueue });
    const senderId = id('poker');
    assert.equal(
      await client.execute(children.pokesAnother, { workflowId: senderId, taskQueue, args: [targetId] }),
      'signalled',
    );
    assert.equal(await target.result(), `poked by ${senderId}`);
  });

  test('signalling a workflow that does not exist fails inside the workflow', async () => {
    assert.equal(
      await client.execute(children.pokesMissing, {
        workflowId: id('poke-missing'),
        taskQueue,
        args: ['no-such-workflow'],
      }),
      'failed: ExternalWorkflowExecutionNotFound',
    );
  });

  test('a workflow asks another to cancel; the other ends cancelled', async () => {
    const targetId = id('cancel-target');
    const target = await client.start(children.waitingChild, { workflowId: targetId, taskQueue });
    assert.equal(
      await client.execute(children.cancelsAnother, {
        workflowId: id('canceller'),
        taskQueue,
        args: [targetId],
      }),
      'cancel requested',
    );
    const error = await rejection(target.result());
    assert.ok(error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure);
    assert.equal(await statusOf(targetId), 'CANCELED');
  });

  test('asking a workflow that does not exist to cancel fails inside the workflow', async () => {
    assert.equal(
      await client.execute(children.cancelsMissing, {
        workflowId: id('cancel-missing'),
        taskQueue,
        args: ['no-such-workflow'],
      }),
      'failed: ExternalWorkflowExecutionNotFound',
    );
  });
});

describe('continue-as-new on the dev server', () => {
  test('a chain of five runs: the result follows the chain and each run continued from the one before', async () => {
    const workflowId = id('chain');
    const handle = await client.start(children.chain, {
      workflowId,
      taskQueue,
      args: [1, 5, { round: 0, runIds: [], continuedFrom: [] }],
    });
    const result = await handle.result();
    assert.equal(result.round, 5);
    assert.equal(result.runIds.length, 5);
    assert.equal(new Set(result.runIds).size, 5, 'every run has its own run id');
    assert.equal(result.runIds[0], handle.runId, 'the first run is the one the client started');
    assert.deepEqual(result.continuedFrom, ['', ...result.runIds.slice(0, 4)]);
    for (const runId of result.runIds.slice(0, 4)) {
      assert.equal(await statusOf(workflowId, runId), 'CONTINUED_AS_NEW');
    }
    const last = await client.describe(workflowId);
    assert.equal(last.runId, result.runIds[4]);
    assert.equal(last.status, 'COMPLETED');
  });
});

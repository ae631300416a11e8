// End-to-end on the dev server (@odin/server's startDevServer): our client, our worker, real gRPC.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@odin/api/public';
import { startDevServer } from '@odin/server';
import { heartbeat } from '../src/activity/index.js';
import {
  asResult,
  ClientErrorCodes,
  Connection,
  NamespaceClient,
  NamespaceNotFoundError,
  WorkflowClient,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '../src/client/index.js';
import { ApplicationFailure, CancelledFailure, TerminatedFailure } from '../src/common/failure.js';
import { assertDeterministicReplay, replayWorkflowFromServer } from '../src/replay.js';
import { Worker } from '../src/worker/index.js';
import * as basic from './workflows/basic.js';
import * as e2e from './workflows/e2e.js';
import * as hugo from './workflows/hugo.js';

const workflows = { ...basic, ...hugo, ...e2e };
const taskQueue = 'sdk-e2e';
let cancelObserved = false;

const activities = {
  greet: async (name: string) => `Hello, ${name}!`,
  charge: async (amount: number) => `ch-${amount}`,
  refund: async () => undefined,
  explode: async () => {
    throw new Error('boom');
  },
  fail: async (message: string) => {
    throw ApplicationFailure.nonRetryable(message, 'CardDeclined');
  },
  waitForCancel: async () => {
    for (;;) {
      heartbeat('working');
      try {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const { cancellationSignal } = await import('../src/activity/index.js');
        cancellationSignal().throwIfAborted();
      } catch (error) {
        cancelObserved = true;
        throw error;
      }
    }
  },
};

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
  worker = await Worker.create({ connection, taskQueue, workflows, activities, shutdownGraceMs: 2000 });
  running = worker.run();
});

after(async () => {
  worker.shutdown();
  await running;
  connection.close();
  await server.stop();
});

async function eventually<T>(probe: () => Promise<T | undefined>, attempts = 100): Promise<T> {
  for (let i = 0; i < attempts; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not reached');
}

describe('client and worker on the dev server', () => {
  test('start runs a workflow with an activity to its result; describe and history agree', async () => {
    const handle = await client.start(basic.greeting, {
      workflowId: id('greeting'),
      taskQueue,
      args: ['Ada'],
    });
    assert.equal(await handle.result(), 'Hello, Ada!');
    const description = await handle.describe();
    assert.equal(description.status, 'COMPLETED');
    assert.equal(description.type, 'greeting');
    const history = await handle.fetchHistory();
    assert.equal(history.length, description.historyLength);
    const replay = await replayWorkflowFromServer(client, handle.workflowId, handle.runId, workflows);
    assert.equal(replay.divergence, undefined);
    assert.ok(worker.stats.resumedWorkflowTasks > 0, 'the second task continued the run kept in memory');
  });

  test("an activity on the worker's own queue starts with the workflow task that schedules it (eager dispatch)", async () => {
    const before = worker.stats;
    const handle = await client.start(basic.greeting, {
      workflowId: id('eager-activity'),
      taskQueue,
      args: ['Grace'],
    });
    assert.equal(await handle.result(), 'Hello, Grace!');
    const after = worker.stats;
    assert.equal(after.eagerActivityTasks - before.eagerActivityTasks, 1, 'handed back with the completion');
    assert.equal(after.activityTasks - before.activityTasks, 1, 'and run once');
    const EventType = temporal.api.enums.v1.EventType;
    const types = (await handle.fetchHistory()).map((e) => e.eventType);
    assert.ok(types.includes(EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED), String(types));
    assert.ok(types.includes(EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED), String(types));
    const replay = await replayWorkflowFromServer(client, handle.workflowId, handle.runId, workflows);
    assert.equal(replay.divergence, undefined);
  });

  test('a signal completes a waiting workflow and a query reads its state', async () => {
    const handle = await client.start(basic.approval, { workflowId: id('approval'), taskQueue });
    assert.equal(
      await eventually(async () =>
        (await handle.describe()).historyLength >= 4 ? handle.query<string>('status') : undefined,
      ),
      'waiting',
    );
    await handle.signal(basic.approve, 'Grace');
    assert.equal(await handle.result(), 'approved by Grace');
    assert.equal(await handle.query(basic.status), 'approved by Grace', 'a closed workflow stays queryable');
  });

  test('signalWithStart starts the workflow and delivers the signal to the handler set at its start', async () => {
    const handle = await client.signalWithStart(basic.approval, {
      workflowId: id('sws'),
      taskQueue,
      signalName: basic.approve,
      signalArgs: ['Linus'],
    });
    assert.equal(await handle.result(), 'approved by Linus');
  });

  test('a durable timer fires and workflow time moves by the timer', async () => {
    const elapsed = await client.execute(e2e.shortTimer, { workflowId: id('timer'), taskQueue, args: [200] });
    assert.ok(elapsed >= 200, `workflow time moved ${elapsed}ms`);
  });

  test('a second start of a running workflow id fails with WorkflowExecutionAlreadyStartedError, or a Result', async () => {
    const workflowId = id('dup');
    const handle = await client.start(basic.approval, { workflowId, taskQueue });
    await assert.rejects(
      client.start(basic.approval, { workflowId, taskQueue }),
      WorkflowExecutionAlreadyStartedError,
    );
    const outcome = await asResult(client.start(basic.approval, { workflowId, taskQueue }));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.error?.code, ClientErrorCodes.alreadyStarted);
    const existing = await client.start(basic.approval, {
      workflowId,
      taskQueue,
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    assert.equal(existing.runId, handle.runId);
    await handle.terminate('cleanup');
  });

  test('start options reach the server: memo and timeouts show in describe and the started event', async () => {
    const handle = await client.start(basic.greeting, {
      workflowId: id('options'),
      taskQueue,
      args: ['M'],
      memo: { owner: 'team-a', priority: 2 },
      workflowRunTimeout: '1 hour',
      workflowTaskTimeout: '5s',
      retry: { maximumAttempts: 2, initialInterval: '2s' },
    });
    await handle.result();
    assert.deepEqual((await handle.describe()).memo, { owner: 'team-a', priority: 2 });
    const started = (await handle.fetchHistory())[0]?.workflowExecutionStartedEventAttributes;
    assert.equal(Number(started?.workflowRunTimeout?.seconds), 3600);
    assert.equal(Number(started?.workflowTaskTimeout?.seconds), 5);
    assert.equal(started?.retryPolicy?.maximumAttempts, 2);
  });

  test('describe of an unknown workflow fails with WorkflowNotFoundError', async () => {
    await assert.rejects(client.describe('no-such-workflow'), WorkflowNotFoundError);
  });

  test('cancel ends a sleeping workflow as cancelled; result throws WorkflowFailedError with CancelledFailure', async () => {
    const handle = await client.start(basic.cancellable, { workflowId: id('cancel'), taskQueue });
    await eventually(async () => ((await handle.describe()).historyLength >= 5 ? true : undefined));
    await handle.cancel('test');
    const error = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof WorkflowFailedError);
    assert.ok(error.cause instanceof CancelledFailure);
    assert.equal((await handle.describe()).status, 'CANCELED');
  });

  test('terminate ends a workflow; result throws with TerminatedFailure', async () => {
    const handle = await client.start(basic.cancellable, { workflowId: id('terminate'), taskQueue });
    await handle.terminate('enough');
    await assert.rejects(
      handle.result(),
      (e: unknown) => e instanceof WorkflowFailedError && e.cause instanceof TerminatedFailure,
    );
  });

  test('an ApplicationFailure thrown by the workflow reaches the client with its type', async () => {
    const handle = await client.start(basic.throwsApplicationFailure, { workflowId: id('fails'), taskQueue });
    await assert.rejects(
      handle.result(),
      (e: unknown) =>
        e instanceof WorkflowFailedError &&
        e.cause instanceof ApplicationFailure &&
        e.cause.type === 'NopeError',
    );
  });

  test('an activity failure reaches the workflow as ActivityFailure with the cause', async () => {
    assert.equal(
      await client.execute(e2e.activityFails, { workflowId: id('actfail'), taskQueue }),
      'fail: card declined',
    );
  });

  test('result follows continue-as-new to the last run', async () => {
    assert.equal(await client.execute(basic.continues, { workflowId: id('can'), taskQueue, args: [1] }), 3);
  });

  test('cancelling a scope cancels its activity; the worker delivers the cancellation through the AbortSignal', async () => {
    cancelObserved = false;
    assert.equal(
      await client.execute(e2e.cancelsActivity, { workflowId: id('actcancel'), taskQueue }),
      'cancelled',
    );
    assert.equal(await eventually(async () => (cancelObserved ? true : undefined)), true);
  });

  test('Hugo ErrGroup fan-out runs on the server and its history replays deterministically', async () => {
    const handle = await client.start(hugo.errGroupFanOut, {
      workflowId: id('errgroup'),
      taskQueue,
      args: [['a', 'bbb', 'cc']],
    });
    assert.deepEqual(await handle.result(), ['Hello, a!', 'Hello, cc!', 'Hello, bbb!', 'wg']);
    await assertDeterministicReplay(await handle.fetchHistory(), workflows);
  });

  test('list finds started workflows by visibility query', async () => {
    const workflowId = id('listed');
    await client.execute(basic.greeting, { workflowId, taskQueue, args: ['L'] });
    const found = await eventually(async () => {
      for await (const execution of client.list(`WorkflowId = '${workflowId}'`)) {
        if (execution.workflowId === workflowId) return execution;
      }
      return undefined;
    });
    assert.equal(found.type, 'greeting');
    assert.equal(await client.count(`WorkflowId = '${workflowId}'`), 1);
  });
});

describe('namespaces', () => {
  test('create, describe, list and update a namespace; an unknown one is NamespaceNotFoundError', async () => {
    const namespaces = new NamespaceClient(connection);
    const name = `production-${process.pid}`;
    await namespaces.create(name, { description: 'orders', retention: '3 days' });
    const described = await namespaces.describe(name);
    assert.equal(described.name, name);
    assert.equal(described.state, 'REGISTERED');
    assert.equal(described.retentionMs, 3 * 86_400_000);
    assert.ok((await namespaces.list()).some((n) => n.name === name));
    const updated = await namespaces.update(name, { description: 'orders and refunds' });
    assert.equal(updated.description, 'orders and refunds');
    await assert.rejects(namespaces.describe('no-such-namespace'), NamespaceNotFoundError);
  });
});

// Eager workflow start (`requestEagerStart`): the client sets a slot of a worker on its connection aside, asks the
// server to start the first workflow task with the run, and hands the task from the answer to that worker. Without
// such a worker (none on the queue, stopped, slots full) the start is an ordinary one.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { temporal } from '@odin/api/public';
import { startDevServer } from '@odin/server';
import { Connection, ServiceCallError, WorkflowClient } from '../src/client/index.js';
import {
  type EagerWorkflowTask,
  type EagerWorkflowTaskSlot,
  LocalWorkers,
  type LocalWorkflowWorker,
} from '../src/client/local-workers.js';
import { WorkflowExecutionAlreadyStartedError } from '../src/client/errors.js';
import { AesGcmPayloadCodec } from '../src/codec/aes-gcm-codec.js';
import { Worker, type WorkerOptions } from '../src/worker/index.js';
import * as eager from './workflows/eager.js';

const EventType = temporal.api.enums.v1.EventType;
const activities = { greet: async (name: string) => `hello ${name}` };

/** A worker stand-in recording what the registry and the client did with its slots. */
function fakeWorker(taskQueue: string, free: number) {
  const log: string[] = [];
  const delivered: EagerWorkflowTask[] = [];
  const worker: LocalWorkflowWorker & { free: number } = {
    namespace: 'default',
    taskQueue,
    free,
    reserveEagerWorkflowTask(workflowType: string): EagerWorkflowTaskSlot | undefined {
      if (worker.free === 0) return undefined;
      worker.free--;
      log.push(`reserve ${workflowType}`);
      return {
        deliver: (task) => {
          log.push('deliver');
          delivered.push(task);
        },
        release: () => {
          worker.free++;
          log.push('release');
        },
      };
    },
  };
  return { worker, log, delivered };
}

/** A connection answering starts with `answer` (or failing with it), recording the requests. */
function scriptedConnection(answer: () => Record<string, unknown>) {
  const requests: Record<string, unknown>[] = [];
  const connection = {
    localWorkers: new LocalWorkers(),
    async call(method: string, request: Record<string, unknown>) {
      assert.equal(method, 'startWorkflowExecution');
      requests.push(request);
      return answer();
    },
  };
  return { connection: connection as unknown as Connection, localWorkers: connection.localWorkers, requests };
}

describe('eager start on the client side (scripted connection)', () => {
  test('asks for eager execution only with a slot set aside; hands the task over, or gives the slot back', async () => {
    let answer: Record<string, unknown> = { runId: 'r1', started: true, eagerWorkflowTask: null };
    const { connection, localWorkers, requests } = scriptedConnection(() => answer);
    const client = new WorkflowClient({ connection });
    const { worker, log, delivered } = fakeWorker('q', 1);
    localWorkers.register(worker);
    const start = (taskQueue: string, requestEagerStart?: boolean) =>
      client.start('wf', {
        workflowId: 'id',
        taskQueue,
        ...(requestEagerStart === undefined ? {} : { requestEagerStart }),
      });

    await start('q');
    await start('q', false);
    assert.deepEqual(log, [], 'not asked for: no slot');
    assert.equal(requests.at(-1)?.['requestEagerExecution'], undefined);

    await start('elsewhere', true);
    assert.deepEqual(log, [], 'no worker on that queue');
    assert.equal(requests.at(-1)?.['requestEagerExecution'], undefined);

    await start('q', true);
    assert.equal(requests.at(-1)?.['requestEagerExecution'], true);
    assert.deepEqual(log, ['reserve wf', 'release'], 'an answer without a task gives the slot back');

    const task = { taskToken: new Uint8Array([1]), workflowExecution: { workflowId: 'id', runId: 'r2' } };
    answer = { runId: 'r2', started: true, eagerWorkflowTask: task };
    const handle = await start('q', true);
    assert.equal(handle.runId, 'r2');
    assert.deepEqual(log.slice(2), ['reserve wf', 'deliver']);
    assert.equal(delivered[0], task);

    log.length = 0;
    await start('q', true);
    assert.deepEqual(log, [], 'the one slot is still taken by the delivered task');
    assert.equal(requests.at(-1)?.['requestEagerExecution'], undefined);

    worker.free = 1;
    answer = {};
    const failing = scriptedConnection(() => {
      throw new ServiceCallError('already started', status.ALREADY_EXISTS, 'StartWorkflowExecution');
    });
    failing.localWorkers.register(worker);
    await assert.rejects(
      new WorkflowClient({ connection: failing.connection }).start('wf', {
        workflowId: 'id',
        taskQueue: 'q',
        requestEagerStart: true,
      }),
      WorkflowExecutionAlreadyStartedError,
    );
    assert.deepEqual(log, ['reserve wf', 'release'], 'a failed start gives the slot back');

    localWorkers.unregister(worker);
    await start('q', true);
    assert.equal(
      requests.at(-1)?.['requestEagerExecution'],
      undefined,
      'an unregistered worker is not asked',
    );
  });

  test('the registry tries the workers of the namespace and queue in order until one has a slot', () => {
    const registry = new LocalWorkers();
    const full = fakeWorker('q', 0);
    const open = fakeWorker('q', 1);
    const other = fakeWorker('other', 1);
    for (const w of [full, open, other]) registry.register(w.worker);
    assert.ok(registry.reserve('default', 'q', 'wf'));
    assert.deepEqual(open.log, ['reserve wf']);
    assert.equal(registry.reserve('default', 'q', 'wf'), undefined, 'both full now');
    assert.equal(registry.reserve('elsewhere', 'other', 'wf'), undefined, 'namespace differs');
    registry.unregister(other.worker);
    assert.equal(registry.reserve('default', 'other', 'wf'), undefined, 'unregistered');
  });
});

describe('eager workflow start on the dev server', () => {
  let server: Awaited<ReturnType<typeof startDevServer>>;
  let connection: Connection;
  /** A second connection: its workers are not local to `client`. */
  let elsewhere: Connection;
  let client: WorkflowClient;
  let seq = 0;
  const id = (name: string) => `${name}-${process.pid}-${++seq}`;

  before(async () => {
    server = await startDevServer({ port: 0 });
    connection = Connection.connect({ address: server.address });
    elsewhere = Connection.connect({ address: server.address });
    client = new WorkflowClient({ connection, identity: 'eager-client' });
  });

  after(async () => {
    connection.close();
    elsewhere.close();
    await server.stop();
  });

  const worker = (options: Partial<WorkerOptions> & { taskQueue: string }) =>
    Worker.create({
      connection,
      workflows: eager,
      activities,
      shutdownGraceMs: 1000,
      // The default slots (40) and polls (8 + 16): eager starts find free slots without settings.
      ...options,
    });

  /** Runs `eager.greeting(name)` on `taskQueue`, asking for an eager start; its result. */
  const greetEagerly = (taskQueue: string, workflowId: string, name: string, via = client) =>
    via.execute(eager.greeting, { workflowId, taskQueue, args: [name], requestEagerStart: true });

  /** Who started the run's first workflow task: the starting client for an eager task, else the polling worker. */
  async function firstTaskStartedBy(workflowId: string): Promise<string> {
    const events = await client.fetchHistory(workflowId);
    const started = events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    return started?.workflowTaskStartedEventAttributes?.identity ?? '';
  }

  /** Workflow tasks that failed or timed out (a task the worker could not process waits for its timeout). */
  async function lostTasks(workflowId: string): Promise<string[]> {
    const lost = new Set([
      EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
      EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT,
    ]);
    return (await client.fetchHistory(workflowId))
      .filter((e) => lost.has(e.eventType ?? 0))
      .map((e) => EventType[e.eventType ?? 0] ?? '');
  }

  test('a worker on the connection gets the first task from the start answer and runs the workflow on', async () => {
    const local = await worker({ taskQueue: 'eager-a', identity: 'local-worker' });
    const workflowId = id('eager');
    await local.runUntil(async () => {
      assert.equal(await greetEagerly('eager-a', workflowId, 'a'), 'hello a!');
    });
    const stats = local.stats;
    assert.equal(stats.eagerWorkflowTasks, 1);
    assert.ok(stats.workflowTasks >= 3, `workflow tasks: ${stats.workflowTasks}`);
    assert.ok(stats.stickyWorkflowTasks >= 1, 'the run went on through the sticky queue');
    assert.equal(stats.workflowTaskFailures, 0);
    assert.equal(await firstTaskStartedBy(workflowId), 'eager-client');
    assert.deepEqual(await lostTasks(workflowId), []);
  });

  test('the worker decodes the eager task with its own payload codecs', async () => {
    const codec = new AesGcmPayloadCodec({ keys: { k: randomBytes(32) }, currentKeyId: 'k' });
    const local = await worker({ taskQueue: 'eager-codec', payloadCodecs: [codec] });
    const encrypting = new WorkflowClient({ connection, payloadCodecs: [codec] });
    const workflowId = id('eager-codec');
    await local.runUntil(async () => {
      assert.equal(await greetEagerly('eager-codec', workflowId, 'secret', encrypting), 'hello secret!');
    });
    assert.equal(local.stats.eagerWorkflowTasks, 1);
    assert.deepEqual(await lostTasks(workflowId), [], 'the eager task read its input');
  });

  test('without a worker of that queue on the connection, or once it stopped, the start is an ordinary one', async () => {
    const onOtherQueue = await worker({ taskQueue: 'eager-other' });
    const remote = await worker({ connection: elsewhere, taskQueue: 'eager-b', identity: 'remote-worker' });
    const notLocal = id('not-local');
    await onOtherQueue.runUntil(() =>
      remote.runUntil(async () => {
        assert.equal(await greetEagerly('eager-b', notLocal, 'b'), 'hello b!');
      }),
    );
    assert.equal(onOtherQueue.stats.eagerWorkflowTasks + remote.stats.eagerWorkflowTasks, 0);
    assert.equal(await firstTaskStartedBy(notLocal), 'remote-worker');

    const stopped = await worker({ taskQueue: 'eager-c' });
    await stopped.runUntil(Promise.resolve());
    const afterStop = id('after-stop');
    const handle = await client.start(eager.greeting, {
      workflowId: afterStop,
      taskQueue: 'eager-c',
      args: ['c'],
      requestEagerStart: true,
    });
    const second = await worker({ connection: elsewhere, taskQueue: 'eager-c', identity: 'second-worker' });
    await second.runUntil(async () => assert.equal(await handle.result(), 'hello c!'));
    assert.equal(stopped.stats.eagerWorkflowTasks + second.stats.eagerWorkflowTasks, 0);
    assert.equal(await firstTaskStartedBy(afterStop), 'second-worker');
  });

  test('eager only as far as free workflow slots go: full slots make ordinary starts', async () => {
    // Two slots, both held by the worker's two polls: none is free.
    const full = await worker({
      taskQueue: 'eager-full',
      identity: 'full-worker',
      maxConcurrentWorkflowTasks: 2,
      workflowPollers: 1,
      stickyPollers: 1,
    });
    const fullId = id('full');
    await full.runUntil(async () => {
      assert.equal(await greetEagerly('eager-full', fullId, 'd'), 'hello d!');
    });
    assert.equal(full.stats.eagerWorkflowTasks, 0);
    assert.equal(await firstTaskStartedBy(fullId), 'full-worker');

    // Seven slots, four held by polls: three of five starts made at once are eager.
    const some = await worker({
      taskQueue: 'eager-some',
      maxConcurrentWorkflowTasks: 7,
      workflowPollers: 2,
      stickyPollers: 2,
    });
    const ids = [1, 2, 3, 4, 5].map((n) => id(`some-${n}`));
    await some.runUntil(async () => {
      const results = await Promise.all(
        ids.map((workflowId, n) => greetEagerly('eager-some', workflowId, `${n}`)),
      );
      assert.deepEqual(results, ['hello 0!', 'hello 1!', 'hello 2!', 'hello 3!', 'hello 4!']);
    });
    assert.equal(some.stats.eagerWorkflowTasks, 3);
    const starters = await Promise.all(ids.map(firstTaskStartedBy));
    assert.equal(starters.filter((s) => s === 'eager-client').length, 3);
  });
});

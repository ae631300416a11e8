// Interoperability with the official Temporal TypeScript SDK 1.24, both ways, on the dev server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  Client,
  Connection as OfficialConnection,
  WorkflowFailedError as OfficialWorkflowFailedError,
} from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker as OfficialWorker,
} from '@temporalio/worker';
import { startDevServer } from '@odin/server';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Connection, WorkflowClient } from '../src/client/index.js';
import { assertDeterministicReplay, historyFromJson } from '../src/replay.js';
import { Worker } from '../src/worker/index.js';
import { CommandType } from './history-helpers.js';
import * as basic from './workflows/basic.js';

let server: Awaited<ReturnType<typeof startDevServer>>;
let connection: Connection;
let client: WorkflowClient;
let worker: Worker;
let running: Promise<void>;
let official: Client;
let officialConnection: OfficialConnection;

before(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  server = await startDevServer({ port: 0 });
  connection = Connection.connect({ address: server.address });
  client = new WorkflowClient({ connection });
  worker = await Worker.create({
    connection,
    taskQueue: 'ours',
    workflows: basic,
    activities: { greet: async (name: string) => `Hello, ${name}!` },
  });
  running = worker.run();
  officialConnection = await OfficialConnection.connect({ address: server.address });
  official = new Client({ connection: officialConnection });
});

after(async () => {
  worker.shutdown();
  await running;
  connection.close();
  await officialConnection.close();
  await server.stop();
});

async function waitForFirstTask(workflowId: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await client.describe(workflowId)).historyLength >= 4) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('official client, our worker', () => {
  test('@temporalio/client starts, queries and signals a workflow our worker runs, and reads its result', async () => {
    const handle = await official.workflow.start('approval', {
      taskQueue: 'ours',
      workflowId: `official-to-ours-${process.pid}`,
    });
    await waitForFirstTask(handle.workflowId);
    assert.equal(await handle.query<string>('status'), 'waiting');
    await handle.signal('approve', 'Official');
    assert.equal(await handle.result(), 'approved by Official');
  });

  test('a history the official tooling exports (fetchHistory + historyToJSON) replays against our workflow code', async () => {
    const handle = await official.workflow.start('withTimeoutScope', {
      taskQueue: 'ours',
      workflowId: `official-export-${process.pid}`,
    });
    assert.equal(await handle.result(), 'timed out');
    const exported = historyToJSON(await handle.fetchHistory());
    const history = historyFromJson(JSON.parse(exported));
    const replay = await assertDeterministicReplay(history, basic);
    assert.equal(replay.replayedTasks, 2);
    assert.deepEqual(
      replay.trace.flat().map((command) => command.commandType),
      [
        CommandType.COMMAND_TYPE_START_TIMER,
        CommandType.COMMAND_TYPE_START_TIMER,
        CommandType.COMMAND_TYPE_CANCEL_TIMER,
        CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
      ],
    );
  });

  test('@temporalio/client reads our workflow failure as an ApplicationFailure with its type', async () => {
    const handle = await official.workflow.start('throwsApplicationFailure', {
      taskQueue: 'ours',
      workflowId: `official-failure-${process.pid}`,
    });
    await assert.rejects(handle.result(), (error: unknown) => {
      assert.ok(error instanceof OfficialWorkflowFailedError);
      const cause = error.cause as { type?: string; message?: string };
      assert.equal(cause.type, 'NopeError');
      assert.equal(cause.message, 'nope');
      return true;
    });
  });
});

describe('our client, official worker', () => {
  test('our client starts, queries and signals a workflow the official worker runs, and reads its result', async () => {
    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: new URL('./official-workflows/official.ts', import.meta.url).pathname,
      logger: new DefaultLogger('WARN'),
    });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    try {
      const officialWorker = await OfficialWorker.create({
        connection: nativeConnection,
        taskQueue: 'official',
        workflowBundle,
        activities: { greet: async (name: string) => `Hi, ${name}!` },
      });
      await officialWorker.runUntil(async () => {
        const handle = await client.start('officialApproval', {
          workflowId: `ours-to-official-${process.pid}`,
          taskQueue: 'official',
          args: ['Bob'],
        });
        await waitForFirstTask(handle.workflowId);
        assert.equal(await handle.query('status'), 'waiting');
        await handle.signal('approve', 'Odin');
        assert.equal(await handle.result(), 'Hi, Bob! (approved by Odin)');
      });
    } finally {
      await nativeConnection.close();
    }
  });
});

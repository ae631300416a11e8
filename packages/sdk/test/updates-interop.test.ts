// Workflow updates across SDKs on the dev server: the official SDK 1.24's client updates a workflow our worker runs,
// our client updates a workflow the official worker runs; payloads encrypted by a codec on both sides.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  Client,
  Connection as OfficialConnection,
  WithStartWorkflowOperation as OfficialWithStartWorkflowOperation,
  WorkflowUpdateFailedError as OfficialWorkflowUpdateFailedError,
  WorkflowUpdateStage,
} from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker as OfficialWorker,
} from '@temporalio/worker';
import { startDevServer } from '@odin/server';
import { temporal } from '@odin/api/public';
import {
  Connection,
  WithStartWorkflowOperation,
  WorkflowClient,
  WorkflowUpdateFailedError,
} from '../src/client/index.js';
import { AesGcmPayloadCodec } from '../src/codec/aes-gcm-codec.js';
import { ApplicationFailure } from '../src/common/failure.js';
import { assertDeterministicReplay } from '../src/replay.js';
import { Worker } from '../src/worker/index.js';
import * as updates from './workflows/updates.js';

const EventType = temporal.api.enums.v1.EventType;
const codec = new AesGcmPayloadCodec({ keys: { k1: randomBytes(32) }, currentKeyId: 'k1' });

let server: Awaited<ReturnType<typeof startDevServer>>;
let connection: Connection;
let client: WorkflowClient;
let worker: Worker;
let running: Promise<void>;
let official: Client;
let officialConnection: OfficialConnection;
let seq = 0;
const id = (name: string) => `${name}-${process.pid}-${++seq}`;

before(async () => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  server = await startDevServer({ port: 0 });
  connection = Connection.connect({ address: server.address });
  client = new WorkflowClient({ connection, payloadCodecs: [codec] });
  worker = await Worker.create({
    connection,
    taskQueue: 'ours-updates',
    workflows: updates,
    activities: { greet: async (name: string) => `Hello, ${name}!` },
    payloadCodecs: [codec],
  });
  running = worker.run();
  officialConnection = await OfficialConnection.connect({ address: server.address });
  official = new Client({ connection: officialConnection, dataConverter: { payloadCodecs: [codec] } });
});

after(async () => {
  worker.shutdown();
  await running;
  connection.close();
  await officialConnection.close();
  await server.stop();
});

let bundle: Promise<{ code: string }> | undefined;

function officialBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: new URL('./official-workflows/updates.ts', import.meta.url).pathname,
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}

/** Every payload of the update events is encrypted (the codec ran on both the request and the outcome). */
function assertUpdatePayloadsEncrypted(history: Awaited<ReturnType<WorkflowClient['fetchHistory']>>): void {
  const payloads = history.flatMap((event) => [
    ...(event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.args?.payloads ?? []),
    ...(event.workflowExecutionUpdateCompletedEventAttributes?.outcome?.success?.payloads ?? []),
  ]);
  assert.ok(payloads.length > 0);
  for (const payload of payloads) {
    assert.equal(
      new TextDecoder().decode(payload.metadata?.['encoding'] ?? new Uint8Array()),
      'binary/encrypted',
    );
  }
}

describe('official client, our worker', () => {
  test('@temporalio/client executes, starts, polls and fails updates on a workflow our worker runs', async () => {
    const handle = await official.workflow.start('cart', {
      taskQueue: 'ours-updates',
      workflowId: id('official-to-ours'),
    });
    assert.equal(await handle.executeUpdate<number, [string]>('addItem', { args: ['apple'] }), 1);
    await assert.rejects(handle.executeUpdate('addItem', { args: ['forbidden'] }), (error: unknown) => {
      assert.ok(error instanceof OfficialWorkflowUpdateFailedError, String(error));
      assert.match(String(error.cause?.message), /not allowed/);
      return true;
    });
    const slow = await handle.startUpdate<number, [string, number]>('slowAdd', {
      args: ['slow', 200],
      waitForStage: WorkflowUpdateStage.ACCEPTED,
      updateId: 'official-slow',
    });
    assert.equal(
      await official.workflow.getHandle(handle.workflowId).getUpdateHandle<number>('official-slow').result(),
      2,
    );
    assert.equal(await slow.result(), 2);
    await assert.rejects(handle.executeUpdate('checkout', { args: ['closed'] }), (error: unknown) => {
      assert.ok(error instanceof OfficialWorkflowUpdateFailedError, String(error));
      assert.equal((error.cause as { type?: string }).type, 'CheckoutRefused');
      return true;
    });
    assert.deepEqual(await handle.executeUpdate('finish'), ['apple', 'slow']);
    assert.deepEqual(await handle.result(), ['apple', 'slow']);
    const history = await client.fetchHistory(handle.workflowId);
    assertUpdatePayloadsEncrypted(history);
    await assertDeterministicReplay(history, updates, { payloadCodecs: [codec] });
    // The official runtime replays the history our worker wrote, with the same cart.
    await OfficialWorker.runReplayHistory(
      {
        workflowBundle: await officialBundle(),
        dataConverter: { payloadCodecs: [codec] },
        replayName: 'ours',
      },
      await handle.fetchHistory(),
      handle.workflowId,
    );
  });

  test('@temporalio/client update-with-start starts a workflow our worker runs', async () => {
    const workflowId = id('official-with-start');
    const startWorkflowOperation = new OfficialWithStartWorkflowOperation('cart', {
      workflowId,
      taskQueue: 'ours-updates',
      args: [['bread']],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    assert.equal(
      await official.workflow.executeUpdateWithStart('addItem', {
        args: ['milk'],
        startWorkflowOperation,
      }),
      2,
    );
    const handle = await startWorkflowOperation.workflowHandle();
    await handle.executeUpdate('finish');
    assert.deepEqual(await handle.result(), ['bread', 'milk']);
  });
});

describe('our client, official worker', () => {
  test('our client executes, starts, polls, fails and update-with-starts updates on a workflow the official worker runs', async () => {
    const workflowBundle = await officialBundle();
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    try {
      const officialWorker = await OfficialWorker.create({
        connection: nativeConnection,
        taskQueue: 'official-updates',
        workflowBundle,
        dataConverter: { payloadCodecs: [codec] },
      });
      await officialWorker.runUntil(async () => {
        const handle = await client.start('officialCart', {
          workflowId: id('ours-to-official'),
          taskQueue: 'official-updates',
        });
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
        assert.equal((await handle.fetchHistory()).length, before, 'a rejection leaves no event');
        const slow = await handle.startUpdate(updates.slowAdd, {
          args: ['slow', 200],
          waitForStage: 'ACCEPTED',
          updateId: 'ours-slow',
        });
        assert.equal(
          await client.getHandle(handle.workflowId).getUpdateHandle<number>('ours-slow').result(),
          2,
        );
        assert.equal(await slow.result(), 2);
        await assert.rejects(
          handle.executeUpdate(updates.checkout, { args: ['closed'] }),
          (error: unknown) => {
            assert.ok(error instanceof WorkflowUpdateFailedError, String(error));
            assert.ok(error.cause instanceof ApplicationFailure, String(error.cause));
            assert.equal(error.cause.type, 'CheckoutRefused');
            return true;
          },
        );
        assert.deepEqual(await handle.executeUpdate(updates.finish), ['apple', 'slow']);
        assert.deepEqual(await handle.result(), ['apple', 'slow']);
        const history = await handle.fetchHistory();
        assertUpdatePayloadsEncrypted(history);
        // Our runtime replays the history the official worker wrote, with our cart.
        await assertDeterministicReplay(history, { officialCart: updates.cart }, { payloadCodecs: [codec] });
        assert.equal(
          history.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
            .length,
          4,
        );

        const workflowId = id('ours-with-start');
        const operation = new WithStartWorkflowOperation('officialCart', {
          workflowId,
          taskQueue: 'official-updates',
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
        assert.deepEqual(await started.executeUpdate(updates.finish), ['bread', 'milk']);
        assert.deepEqual(await started.result(), ['bread', 'milk']);
      });
    } finally {
      await nativeConnection.close();
    }
  });
});

// Authorization end to end: the official Temporal SDK and @odin/sdk, each passing a bearer token in the
// `authorization` metadata, against a dev server whose frontend authorizes per namespace. Authorization does not
// depend on the database, so this runs once, on in-memory SQLite.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Connection as OdinConnection, WorkflowClient as OdinWorkflowClient } from '@odin/sdk/client';
import { Worker as OdinWorker } from '@odin/sdk/worker';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from './activities.js';
import { type AuthServer, grpcCode, startAuthServer } from './auth-fixtures.js';
import { installRuntime, workflowBundle } from './harness.js';
import * as odinWorkflows from './odin-sdk-workflows.js';

/** gRPC status codes the scenarios expect. */
const status = { PERMISSION_DENIED: 7, UNAUTHENTICATED: 16 } as const;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function refusedWith(promise: Promise<unknown>, code: number, label: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal(grpcCode(error), code, `${label}: ${String(error)}`);
    return true;
  });
}

describe('authorization with the official Temporal SDK and @odin/sdk', () => {
  let server: AuthServer;
  const closers: (() => unknown)[] = [];

  before(async () => {
    installRuntime();
    server = await startAuthServer();
  });

  after(async () => {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    await server.stop();
  });

  async function temporalClient(namespace: string, token?: string): Promise<Client> {
    const connection = await Connection.connect({
      address: server.address,
      ...(token === undefined ? {} : { metadata: bearer(token) }),
    });
    closers.push(() => connection.close());
    return new Client({ connection, namespace });
  }

  test('the official SDK client and worker run a workflow in their namespace with their tokens', async () => {
    const appA = await server.token('app-a', ['ns-a:write']);
    const workerA = await server.token('worker-a', ['ns-a:worker']);
    const client = await temporalClient('ns-a', appA);
    // The worker's Rust core sends `apiKey` as `authorization: Bearer …` (TLS would be implied; this server is plaintext).
    const native = await NativeConnection.connect({ address: server.address, apiKey: workerA, tls: false });
    closers.push(() => native.close());
    const worker = await Worker.create({
      connection: native,
      namespace: 'ns-a',
      taskQueue: 'auth-a',
      workflowBundle: await workflowBundle(),
      activities,
      shutdownGraceTime: '1 second',
    });
    const result = await worker.runUntil(
      client.workflow.execute('greeting', {
        taskQueue: 'auth-a',
        workflowId: 'auth-greeting',
        args: ['Ada'],
      }),
    );
    assert.equal(result, 'Hello, Ada!');
  });

  test('the official SDK gets PERMISSION_DENIED for another tenant’s workflows and namespace', async () => {
    const tenantB = await temporalClient('ns-a', await server.token('admin-b', ['ns-b:admin']));
    const handle = tenantB.workflow.getHandle('auth-greeting');
    await refusedWith(handle.describe(), status.PERMISSION_DENIED, 'describe');
    await refusedWith(handle.fetchHistory(), status.PERMISSION_DENIED, 'history');
    await refusedWith(handle.terminate('not yours'), status.PERMISSION_DENIED, 'terminate');
    await refusedWith(handle.signal('anything'), status.PERMISSION_DENIED, 'signal');
    await refusedWith(
      tenantB.workflowService.updateNamespace({ namespace: 'ns-a', updateInfo: { description: 'pwned' } }),
      status.PERMISSION_DENIED,
      'update namespace',
    );

    const owner = await temporalClient('ns-a', await server.token('reader-a', ['ns-a:read']));
    const description = await owner.workflow.getHandle('auth-greeting').describe();
    assert.equal(description.status.name, 'COMPLETED', 'the run is untouched');
    const ns = await owner.workflowService.describeNamespace({ namespace: 'ns-a' });
    assert.equal(ns.namespaceInfo?.description, '');
  });

  test('no token, an expired one or one signed by another key is UNAUTHENTICATED', async () => {
    // An invalid token is refused on every call, GetSystemInfo included (as Temporal does), so the SDK's connect
    // already fails; without a token the connect succeeds and the start is refused.
    const start = async (token?: string) =>
      (await temporalClient('ns-a', token)).workflow.start('greeting', {
        taskQueue: 'auth-a',
        workflowId: 'never',
        args: ['x'],
      });
    await refusedWith(start(), status.UNAUTHENTICATED, 'no token');
    const expired = await server.token('app-a', ['ns-a:write'], { expiresInS: -60 });
    await refusedWith(start(expired), status.UNAUTHENTICATED, 'expired');
    const foreign = await server.token('app-a', ['ns-a:write'], { untrusted: true });
    await refusedWith(start(foreign), status.UNAUTHENTICATED, 'another key');
  });

  test('a worker of another namespace cannot poll this one', async () => {
    // Through the SDK client's raw WorkflowService: a refused Rust-core worker keeps the test process alive.
    const workerB = await temporalClient('ns-a', await server.token('worker-b', ['ns-b:worker']));
    for (const poll of [
      () =>
        workerB.workflowService.pollWorkflowTaskQueue({ namespace: 'ns-a', taskQueue: { name: 'auth-a' } }),
      () =>
        workerB.workflowService.pollActivityTaskQueue({ namespace: 'ns-a', taskQueue: { name: 'auth-a' } }),
    ]) {
      await refusedWith(poll(), status.PERMISSION_DENIED, 'poll');
    }
  });

  test('@odin/sdk’s client and worker pass their tokens as metadata too', async () => {
    const connection = OdinConnection.connect({
      address: server.address,
      metadata: bearer(await server.token('odin-a', ['ns-a:worker', 'ns-a:write'])),
    });
    closers.push(() => connection.close());
    const client = new OdinWorkflowClient({ connection, namespace: 'ns-a' });
    const worker = await OdinWorker.create({
      connection,
      namespace: 'ns-a',
      taskQueue: 'auth-odin',
      workflows: odinWorkflows,
      activities: { greet: activities.greet },
      shutdownGraceMs: 1000,
    });
    const running = worker.run();
    try {
      const result = await client.execute(odinWorkflows.odinGreeting, {
        taskQueue: 'auth-odin',
        workflowId: 'auth-odin-greeting',
        args: ['Grace'],
      });
      assert.equal(result, 'Hello, Grace!');
    } finally {
      worker.shutdown();
      await running;
    }

    const tenantB = OdinConnection.connect({
      address: server.address,
      metadata: bearer(await server.token('odin-b', ['ns-b:admin'])),
    });
    closers.push(() => tenantB.close());
    const intruder = new OdinWorkflowClient({ connection: tenantB, namespace: 'ns-a' });
    await refusedWith(
      intruder.describe('auth-odin-greeting'),
      status.PERMISSION_DENIED,
      '@odin/sdk describe',
    );
    await refusedWith(
      intruder.terminate('auth-odin-greeting'),
      status.PERMISSION_DENIED,
      '@odin/sdk terminate',
    );
  });
});

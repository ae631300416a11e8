import assert from 'node:assert/strict';
import { connect as http2Connect } from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import {
  type Client,
  credentials,
  makeGenericClientConstructor,
  type ServiceError as GrpcError,
  status,
} from '@grpc/grpc-js';
import { FrontendService } from '../../src/frontend-service.js';
import { grpcServiceDefinition, WORKFLOW_SERVICE } from '../../src/grpc-service.js';
import { type Call, fakeHistory, fixture } from '../fakes.js';

const MAX_REQUEST_BYTES = 64 * 1024;

function startWorkflow(client: Client, inputBytes: number): Promise<unknown> {
  const fn = (client as unknown as Record<string, (...args: unknown[]) => void>).StartWorkflowExecution!.bind(
    client,
  );
  return new Promise((resolve, reject) =>
    fn(
      {
        namespace: 'default',
        workflowId: 'wf',
        workflowType: { name: 'T' },
        taskQueue: { name: 'q' },
        input: { payloads: [{ data: Buffer.alloc(inputBytes) }] },
      },
      {},
      (error: GrpcError | null, response: unknown) => (error ? reject(error) : resolve(response)),
    ),
  );
}

/** A frontend on a free port with the given port limits, stopped after the test. */
async function listening(
  t: { after(fn: () => Promise<void>): void },
  options: Parameters<FrontendService['listen']>[2],
  calls: Call[] = [],
): Promise<number> {
  const f = await fixture({ realTime: true });
  const frontend = new FrontendService(f.ctx, {
    history: fakeHistory(calls, () => ({ runId: 'run-1' })),
    matching: {} as never,
  });
  t.after(() => frontend.stop(100));
  return frontend.listen('127.0.0.1', 0, options);
}

describe('limits of the gRPC frontend port', () => {
  test('a request over the size limit is RESOURCE_EXHAUSTED and reaches no handler; one under it passes', async (t) => {
    const calls: Call[] = [];
    const port = await listening(t, { maxRequestBytes: MAX_REQUEST_BYTES }, calls);
    const Ctor = makeGenericClientConstructor(grpcServiceDefinition(WORKFLOW_SERVICE), 'WorkflowService');
    const client = new Ctor(`127.0.0.1:${port}`, credentials.createInsecure());
    try {
      await assert.rejects(startWorkflow(client, MAX_REQUEST_BYTES + 1), (error: GrpcError) => {
        assert.equal(error.code, status.RESOURCE_EXHAUSTED);
        return true;
      });
      assert.equal(calls.length, 0, 'no handler ran');
      await startWorkflow(client, MAX_REQUEST_BYTES / 2);
      assert.equal(calls.length, 1);
    } finally {
      client.close();
    }
  });

  test('connections past the cap are closed as they arrive', async (t) => {
    const port = await listening(t, { maxConnections: 2 });
    const sockets: { socket: Socket; closed: Promise<void> }[] = [];
    for (let i = 0; i < 3; i++) {
      const socket = netConnect(port, '127.0.0.1');
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('error', () => undefined);
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      sockets.push({ socket, closed });
    }
    // The third is dropped by the listener; the first two stay open until we close them.
    await sockets[2]!.closed;
    assert.equal(sockets[0]!.socket.destroyed, false);
    assert.equal(sockets[1]!.socket.destroyed, false);
    for (const { socket } of sockets) socket.destroy();
  });

  test('an idle connection is sent GOAWAY', async (t) => {
    const port = await listening(t, { connectionIdleTimeoutMs: 200 });
    const session = http2Connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined);
    try {
      await new Promise<void>((resolve) => session.once('goaway', () => resolve()));
    } finally {
      session.destroy();
    }
  });

  test('a connection that never sends a byte is closed at the idle timeout; one that spoke is left to GOAWAY', {
    timeout: 20_000,
  }, async (t) => {
    const port = await listening(t, { connectionIdleTimeoutMs: 200 });
    const closed = (socket: Socket) =>
      new Promise<void>((resolve) => {
        socket.on('error', () => undefined);
        socket.once('close', () => resolve());
      });
    const silent = netConnect(port, '127.0.0.1');
    await closed(silent);
    // An HTTP/2 client that sent its preface is not reset: it gets grpc-js's GOAWAY instead.
    const session = http2Connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined);
    try {
      await new Promise<void>((resolve) => session.once('goaway', () => resolve()));
    } finally {
      session.destroy();
    }
  });
});

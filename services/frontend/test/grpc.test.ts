import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  credentials,
  type Client,
  type ClientReadableStream,
  makeGenericClientConstructor,
  type ServiceError as GrpcError,
  status,
} from '@grpc/grpc-js';
import { google, healthServiceDefinition, type MatchingApi, protoRoot } from '@odin/api';
import { FrontendService } from '../src/frontend-service.js';
import {
  grpcServiceDefinition,
  HEALTH_SERVICE,
  OPERATOR_SERVICE,
  WORKFLOW_SERVICE,
} from '../src/grpc-service.js';
import { type Call, fakeHistory, fixture } from './fakes.js';

/** The generic client's methods, typed. */
interface HealthMethods {
  Check(
    request: { service: string },
    callback: (error: GrpcError | null, response?: { status: number }) => void,
  ): void;
  Watch(request: { service: string }): ClientReadableStream<{ status: number }>;
}

type Unary = (
  request: object,
  options: object,
  callback: (error: GrpcError | null, response?: unknown) => void,
) => void;

function call(
  client: Client,
  method: string,
  request: object,
  options: object = {},
): Promise<Record<string, unknown>> {
  const fn = (client as unknown as Record<string, Unary>)[method]!.bind(client);
  return new Promise((resolve, reject) =>
    fn(request, options, (error, response) =>
      error ? reject(error) : resolve(response as Record<string, unknown>),
    ),
  );
}

describe('frontend over gRPC', () => {
  let frontend: FrontendService;
  let client: Client;
  let health: Client;
  const polls: { deadline?: number; signal: AbortSignal }[] = [];
  const calls: Call[] = [];

  before(async () => {
    const f = await fixture({ realTime: true });
    const matching = {
      pollWorkflowTaskQueue: (
        _ns: unknown,
        _req: unknown,
        ctx: { deadline?: number; signal: AbortSignal },
      ) => {
        polls.push(ctx);
        return new Promise((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }),
        );
      },
    } as unknown as MatchingApi;
    frontend = new FrontendService(f.ctx, {
      history: fakeHistory(calls, () => ({ runId: 'run-42' })),
      matching,
    });
    const port = await frontend.listen('127.0.0.1', 0);
    const Ctor = makeGenericClientConstructor(grpcServiceDefinition(WORKFLOW_SERVICE), 'WorkflowService');
    client = new Ctor(`127.0.0.1:${port}`, credentials.createInsecure());
    const HealthCtor = makeGenericClientConstructor(grpcServiceDefinition(HEALTH_SERVICE), 'Health');
    health = new HealthCtor(`127.0.0.1:${port}`, credentials.createInsecure());
  });

  after(async () => {
    client.close();
    health.close();
    await frontend.stop(100);
  });

  test('answers GetSystemInfo and a start with protobuf messages', async () => {
    const info = await call(client, 'GetSystemInfo', {});
    assert.equal(info.serverVersion, '0.1.0');
    const started = await call(client, 'StartWorkflowExecution', {
      namespace: 'default',
      workflowId: 'wf',
      workflowType: { name: 'T' },
      taskQueue: { name: 'q' },
      requestId: 'r',
      workflowRunTimeout: { seconds: 10 },
    });
    assert.equal(started.runId, 'run-42');
    const seen = calls.at(-1)?.req as { workflowRunTimeout: { seconds: { toNumber(): number } } };
    assert.equal(seen.workflowRunTimeout.seconds.toNumber(), 10);
  });

  test('serves gzip-compressed requests, as the SDK core sends them, small and large', async () => {
    const Ctor = makeGenericClientConstructor(grpcServiceDefinition(WORKFLOW_SERVICE), 'WorkflowService');
    const port = (client
      .getChannel()
      .getTarget()
      .match(/:(\d+)$/) ?? [])[1];
    // 2 = gzip: every request message is compressed.
    const gzipClient = new Ctor(`127.0.0.1:${port}`, credentials.createInsecure(), {
      'grpc.default_compression_algorithm': 2,
    });
    try {
      // Random bytes do not compress: the large one stays far above the size decompressed on the event loop.
      for (const size of [16, 200_000]) {
        const data = randomBytes(size);
        await call(gzipClient, 'StartWorkflowExecution', {
          namespace: 'default',
          workflowId: `gz-${size}`,
          workflowType: { name: 'T' },
          taskQueue: { name: 'q' },
          requestId: `gz-${size}`,
          input: { payloads: [{ metadata: {}, data }] },
        });
        const seen = calls.at(-1)?.req as { workflowId: string; input: { payloads: { data: Uint8Array }[] } };
        assert.equal(seen.workflowId, `gz-${size}`);
        assert.ok(Buffer.from(seen.input.payloads[0]!.data).equals(data));
      }
    } finally {
      gzipClient.close();
    }
  });

  test('sends the errordetails message inside grpc-status-details-bin', async () => {
    const error = await call(client, 'DescribeNamespace', { namespace: 'missing' }).then(
      () => assert.fail('expected NOT_FOUND'),
      (e: GrpcError) => e,
    );
    assert.equal(error.code, status.NOT_FOUND);
    const bin = error.metadata.get('grpc-status-details-bin')[0];
    assert.ok(Buffer.isBuffer(bin));
    const rpcStatus = google.rpc.Status.decode(bin);
    assert.equal(rpcStatus.code, status.NOT_FOUND);
    const any = rpcStatus.details[0]!;
    assert.equal(any.type_url, 'type.googleapis.com/temporal.api.errordetails.v1.NamespaceNotFoundFailure');
    const detail = protoRoot
      .lookupType('temporal.api.errordetails.v1.NamespaceNotFoundFailure')
      .decode(any.value!);
    assert.equal((detail as unknown as { namespace: string }).namespace, 'missing');
  });

  test('answers INVALID_ARGUMENT with its message and no detail', async () => {
    await assert.rejects(
      call(client, 'ListWorkflowExecutions', { namespace: 'default', query: "StartTime > '1'" }),
      (e: GrpcError) => {
        assert.equal(e.code, status.INVALID_ARGUMENT);
        assert.match(e.details, /invalid query: invalid expression: unable to parse datetime '1'/);
        const bin = e.metadata.get('grpc-status-details-bin')[0];
        assert.ok(Buffer.isBuffer(bin));
        assert.equal(google.rpc.Status.decode(bin).details.length, 0);
        return true;
      },
    );
  });

  test('answers UNIMPLEMENTED for methods Odin does not serve', async () => {
    await assert.rejects(call(client, 'ListSchedules', { namespace: 'default' }), (e: GrpcError) => {
      assert.equal(e.code, status.UNIMPLEMENTED);
      assert.match(e.details, /ListSchedules is not implemented/);
      return true;
    });
  });

  test('hands the client deadline to a long poll and aborts it when the client cancels', async () => {
    const deadline = new Date(Date.now() + 30_000);
    const client2 = client as unknown as Record<string, (...args: unknown[]) => { cancel(): void }>;
    const outcome = new Promise<GrpcError | null>((resolve) => {
      const pending = client2.PollWorkflowTaskQueue!.call(
        client,
        { namespace: 'default', taskQueue: { name: 'q' } },
        { deadline },
        (error: GrpcError | null) => resolve(error),
      );
      const started = setInterval(() => {
        if (polls.length > 0) {
          clearInterval(started);
          pending.cancel();
        }
      }, 5);
    });
    const error = await outcome;
    assert.equal(error?.code, status.CANCELLED);
    const poll = polls[0]!;
    assert.ok(poll.deadline !== undefined && Math.abs(poll.deadline - deadline.getTime()) < 1000);
    for (let i = 0; i < 100 && !poll.signal.aborted; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(poll.signal.aborted, true);
  });

  test('serves gRPC health checks: SERVING per served service, NOT_FOUND for any other name', async () => {
    assert.equal((await call(health, 'Check', { service: '' })).status, 1);
    assert.equal((await call(health, 'Check', { service: WORKFLOW_SERVICE })).status, 1);
    assert.equal((await call(health, 'Check', { service: OPERATOR_SERVICE })).status, 1);
    await assert.rejects(
      call(health, 'Check', { service: 'odin.history.v1.HistoryService' }),
      (error: GrpcError) => error.code === status.NOT_FOUND,
    );
  });

  test('Watch streams SERVING, then NOT_SERVING and its end when the frontend stops', async () => {
    const f = await fixture({ realTime: true });
    const own = new FrontendService(f.ctx, {
      history: fakeHistory([], () => ({})),
      matching: {} as MatchingApi,
    });
    const port = await own.listen('127.0.0.1', 0);
    const Ctor = makeGenericClientConstructor(healthServiceDefinition(), 'Health');
    const watcher = new Ctor(`127.0.0.1:${port}`, credentials.createInsecure());
    try {
      const stream = (watcher as unknown as HealthMethods).Watch({
        service: WORKFLOW_SERVICE,
      });
      const seen: number[] = [];
      const ended = new Promise<void>((resolve) => {
        stream.on('data', (message: { status: number }) => {
          seen.push(message.status);
          if (seen.length === 1) void own.stop(2_000);
        });
        stream.on('end', () => resolve());
        stream.on('error', () => resolve());
      });
      await ended;
      assert.deepEqual(seen, [1, 2], 'SERVING, then NOT_SERVING as the stop begins');
    } finally {
      watcher.close();
      await own.stop(100);
    }
  });
});

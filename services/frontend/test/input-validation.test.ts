// Bad input answers a clear INVALID_ARGUMENT and reaches nothing behind the frontend; messages stay bounded however
// much of the request they repeat.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  type Client,
  credentials,
  type ServiceError as GrpcError,
  makeGenericClientConstructor,
  status,
} from '@grpc/grpc-js';
import { echo, google, MAX_ERROR_MESSAGE_CHARS, ServiceError } from '@odin/api';
import { InvalidPageTokenError } from '@odin/persistence';
import { toGrpcFailure, toServiceError } from '../src/errors.js';
import { FrontendService } from '../src/frontend-service.js';
import { WORKFLOW_SERVICE } from '../src/grpc-service.js';
import { type Call, fakeHistory, fakeMatching, fixture } from './fakes.js';

const W = WORKFLOW_SERVICE;

async function setup() {
  const f = await fixture({ realTime: true });
  const historyCalls: Call[] = [];
  const frontend = new FrontendService(f.ctx, {
    history: fakeHistory(historyCalls, () => ({ runId: 'run-1' })),
    matching: fakeMatching([]),
  });
  return { frontend, historyCalls };
}

async function invalid(promise: Promise<unknown>, message?: RegExp): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ServiceError, String(error));
    assert.equal(error.code, status.INVALID_ARGUMENT, `${status[error.code]}: ${error.message}`);
    if (message) assert.match(error.message, message);
    return error;
  }
  assert.fail('expected INVALID_ARGUMENT');
}

const start = (overrides: Record<string, unknown>) => ({
  namespace: 'default',
  workflowId: 'wf-1',
  workflowType: { name: 'T' },
  taskQueue: { name: 'q' },
  requestId: 'r-1',
  ...overrides,
});

describe('echoed input is bounded', () => {
  test('echo keeps 200 characters and says how long the value was', () => {
    assert.equal(echo('short'), 'short');
    const shown = echo('x'.repeat(200_000));
    assert.ok(shown.length < 240, String(shown.length));
    assert.match(shown, /^x{200}… \(200000 characters\)$/);
  });

  test('every ServiceError message is bounded, keeping its start and end', () => {
    const error = ServiceError.invalidArgument(`bad ${'q'.repeat(70_000)} end`);
    assert.ok(error.message.length <= MAX_ERROR_MESSAGE_CHARS, String(error.message.length));
    assert.match(error.message, /^bad q+ …\(\d+ characters elided\)… q+ end$/);
  });

  test('an unknown 200k-character namespace answers NOT_FOUND with small trailers', async () => {
    const { frontend } = await setup();
    const huge = 'n'.repeat(200_000);
    try {
      await frontend.invoke(W, 'DescribeNamespace', { namespace: huge });
      assert.fail('expected NOT_FOUND');
    } catch (error) {
      const e = error as ServiceError;
      assert.equal(e.code, status.NOT_FOUND);
      const failure = toGrpcFailure(e);
      const trailerBytes =
        failure.details.length + (failure.metadata.get('grpc-status-details-bin')[0]?.length ?? 0);
      assert.ok(trailerBytes < 2_000, `${trailerBytes} bytes of trailers`);
      const detail = google.rpc.Status.decode(failure.metadata.get('grpc-status-details-bin')[0] as Buffer);
      assert.ok((detail.details[0]?.value?.length ?? 0) < 300);
    }
  });

  test('a 200k-character namespace on a start is refused by length, not echoed', async () => {
    const { frontend, historyCalls } = await setup();
    const error = await invalid(
      frontend.invoke(W, 'StartWorkflowExecution', start({ namespace: 'n'.repeat(200_000) })),
    );
    assert.ok(error.message.length < 100, error.message);
    assert.equal(historyCalls.length, 0);
  });
});

describe('Temporal-aligned request checks', () => {
  test('durations: nanos of a second or more, and seconds beyond protobuf range, are INVALID_ARGUMENT', async () => {
    const { frontend, historyCalls } = await setup();
    await invalid(
      frontend.invoke(W, 'StartWorkflowExecution', start({ workflowRunTimeout: { seconds: 1, nanos: 1e9 } })),
      /^WorkflowRunTimeout: nanos must be between 0 and 999999999, got 1000000000\.$/,
    );
    await invalid(
      frontend.invoke(W, 'StartWorkflowExecution', start({ workflowTaskTimeout: { seconds: 0, nanos: -5 } })),
      /WorkflowTaskTimeout must not be negative/,
    );
    await invalid(
      frontend.invoke(
        W,
        'StartWorkflowExecution',
        start({ workflowExecutionTimeout: { seconds: 315_576_000_001 } }),
      ),
      /seconds must be at most/,
    );
    await invalid(
      frontend.invoke(
        W,
        'StartWorkflowExecution',
        start({ retryPolicy: { initialInterval: { nanos: 2e9 } } }),
      ),
      /^RetryPolicy\.InitialInterval: nanos/,
    );
    assert.equal(historyCalls.length, 0, 'nothing reached history');
    await frontend.invoke(
      W,
      'StartWorkflowExecution',
      start({ workflowRunTimeout: { seconds: 1, nanos: 999_999_999 } }),
    );
    assert.equal(historyCalls.length, 1);
  });

  test('ids are limited to 1,000 bytes of UTF-8 as Temporal counts them, not characters', async () => {
    const { frontend, historyCalls } = await setup();
    await invalid(
      frontend.invoke(W, 'StartWorkflowExecution', start({ workflowId: `${'\u{1F680}'.repeat(250)}x` })),
      /WorkflowId length exceeds limit: 1001 bytes of UTF-8; the limit is 1000/,
    );
    await invalid(
      frontend.invoke(W, 'StartWorkflowExecution', start({ requestId: '\u00E9'.repeat(501) })),
      /RequestId length exceeds limit: 1002 bytes/,
    );
    assert.equal(historyCalls.length, 0, 'nothing reached history');
    await frontend.invoke(W, 'StartWorkflowExecution', start({ workflowId: '\u{1F680}'.repeat(250) }));
    await frontend.invoke(W, 'StartWorkflowExecution', start({ workflowId: 'w'.repeat(1000) }));
    assert.equal(historyCalls.length, 2);
  });

  test('a page token this server did not issue is INVALID_ARGUMENT, never retryable UNAVAILABLE', () => {
    const error = toServiceError(new InvalidPageTokenError(), 'c-1');
    assert.equal(error.code, status.INVALID_ARGUMENT);
    assert.match(error.message, /NextPageToken is invalid/);
  });
});

describe('undecodable requests over gRPC', () => {
  let frontend: FrontendService;
  let raw: Client;
  let historyCalls: Call[];

  before(async () => {
    ({ frontend, historyCalls } = await setup());
    const port = await frontend.listen('127.0.0.1', 0);
    const identity = (b: Buffer) => b;
    const Raw = makeGenericClientConstructor(
      {
        Start: {
          path: `/${W}/StartWorkflowExecution`,
          requestStream: false,
          responseStream: false,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      },
      'Raw',
    );
    raw = new Raw(`127.0.0.1:${port}`, credentials.createInsecure());
  });

  after(async () => {
    raw.close();
    await frontend.stop(100);
  });

  const send = (bytes: Buffer) =>
    new Promise<GrpcError | null>((resolve) =>
      (raw as unknown as Record<string, (b: Buffer, cb: (e: GrpcError | null) => void) => void>).Start!(
        bytes,
        (error) => resolve(error),
      ),
    );

  test('bytes that are not the request message answer INVALID_ARGUMENT naming the type', async () => {
    for (const bytes of [
      Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), // a length beyond the message
      Buffer.from([0x0a, 0x05, 0x61]), // truncated
      Buffer.from([0x07]), // wire type 7 does not exist
    ]) {
      const error = await send(bytes);
      assert.equal(error?.code, status.INVALID_ARGUMENT, `${bytes.toString('hex')}: ${error?.details}`);
      assert.match(
        error.details,
        /not a valid temporal\.api\.workflowservice\.v1\.StartWorkflowExecutionRequest/,
      );
    }
    assert.equal(historyCalls.length, 0);
  });
});

describe('durations anywhere in a request', () => {
  test('an invalid google.protobuf.Duration in any field is INVALID_ARGUMENT naming its path', async () => {
    const { frontend, historyCalls } = await setup();
    await invalid(
      frontend.invoke(W, 'SignalWithStartWorkflowExecution', {
        ...start({}),
        signalName: 's',
        retryPolicy: { maximumInterval: { seconds: 2, nanos: -3 } },
      }),
      /^RetryPolicy\.MaximumInterval: seconds and nanos must have one sign\.$/,
    );
    await invalid(
      frontend.invoke(W, 'UpdateNamespace', {
        namespace: 'default',
        config: { workflowExecutionRetentionTtl: { seconds: 86_400, nanos: 1e9 } },
      }),
      /^Config\.WorkflowExecutionRetentionTtl: nanos must be between 0 and 999999999/,
    );
    assert.equal(historyCalls.length, 0);
  });
});

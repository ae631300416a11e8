import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { freePort } from '@odin/test-ports';
import Long from 'long';
import type { Type } from 'protobufjs';
import {
  type CallContext,
  createHistoryClient,
  createMatchingClient,
  type HistoryApi,
  type InternalServer,
  type MatchingApi,
  type NamespaceRef,
  asReceived,
  keepReceivedBytes,
  passedOnBytes,
  protoRoot,
  ServiceError,
  startInternalServer,
} from '../src/index.js';

/** A broken transport must fail a test, not hang the run. */
const LIMIT = { timeout: 15_000 };
const NS: NamespaceRef = { id: '5b0f7c2e-ns-id', name: 'orders' };
const BIG = Long.fromString('9007199254740993'); // 2^53 + 1: lost if int64 passes through a JS number
const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const payload = (data: number[]) => ({
  metadata: { encoding: bytes(106, 115, 111, 110) },
  data: bytes(...data),
});

function wsType(name: string): Type {
  return protoRoot.lookupType(`temporal.api.workflowservice.v1.${name}`);
}

/** A message in comparable form: int64 as decimal strings, bytes as base64, enums as numbers. */
function plain(type: Type, value: unknown): Record<string, unknown> {
  const message = type.fromObject(value as Record<string, unknown>);
  return type.toObject(message, { longs: String, bytes: String, enums: Number });
}

interface Received {
  method: string;
  ns: NamespaceRef;
  req: Record<string, unknown>;
  ctx: CallContext;
}

type Behaviour = (method: string, req: unknown, ctx: CallContext) => Promise<unknown>;

/** A fake role: records every call, answers `responses[method]` unless the test installed a behaviour. */
function fakeRole<T>(
  methods: string[],
  responses: Record<string, unknown>,
  received: Received[],
  behaviour: { fn?: Behaviour },
): T {
  const impl: Record<string, unknown> = {};
  for (const method of methods) {
    impl[method] = async (ns: NamespaceRef, req: Record<string, unknown>, ctx: CallContext) => {
      received.push({ method, ns, req, ctx });
      if (behaviour.fn) return behaviour.fn(method, req, ctx);
      return responses[method];
    };
  }
  return impl as T;
}

// Temporal-message methods: the request sent, the request type name, the response answered and its type name.
const historyCases: Record<
  string,
  { req: Record<string, unknown>; reqType: string; res: Record<string, unknown>; resType: string }
> = {
  startWorkflowExecution: {
    reqType: 'StartWorkflowExecutionRequest',
    req: {
      namespace: 'orders',
      workflowId: 'wf-1',
      workflowType: { name: 'OrderWorkflow' },
      taskQueue: { name: 'orders-q', kind: 1 },
      input: { payloads: [payload([1, 2, 3, 0, 255])] },
      workflowExecutionTimeout: { seconds: BIG, nanos: 5 },
      workflowIdReusePolicy: 3,
      requestId: 'req-1',
    },
    resType: 'StartWorkflowExecutionResponse',
    res: { runId: 'run-1', started: true },
  },
  signalWithStartWorkflowExecution: {
    reqType: 'SignalWithStartWorkflowExecutionRequest',
    req: {
      namespace: 'orders',
      workflowId: 'wf-2',
      signalName: 'go',
      signalInput: { payloads: [payload([9])] },
    },
    resType: 'SignalWithStartWorkflowExecutionResponse',
    res: { runId: 'run-2', started: false },
  },
  signalWorkflowExecution: {
    reqType: 'SignalWorkflowExecutionRequest',
    req: { workflowExecution: { workflowId: 'wf-3', runId: 'run-3' }, signalName: 'sig', requestId: 'r3' },
    resType: 'SignalWorkflowExecutionResponse',
    res: {},
  },
  requestCancelWorkflowExecution: {
    reqType: 'RequestCancelWorkflowExecutionRequest',
    req: { workflowExecution: { workflowId: 'wf-4' }, reason: 'no longer needed' },
    resType: 'RequestCancelWorkflowExecutionResponse',
    res: {},
  },
  terminateWorkflowExecution: {
    reqType: 'TerminateWorkflowExecutionRequest',
    req: { workflowExecution: { workflowId: 'wf-5' }, reason: 'bad', details: { payloads: [payload([5])] } },
    resType: 'TerminateWorkflowExecutionResponse',
    res: {},
  },
  describeWorkflowExecution: {
    reqType: 'DescribeWorkflowExecutionRequest',
    req: { execution: { workflowId: 'wf-6', runId: 'run-6' } },
    resType: 'DescribeWorkflowExecutionResponse',
    res: {
      workflowExecutionInfo: {
        execution: { workflowId: 'wf-6', runId: 'run-6' },
        historyLength: BIG,
        status: 2,
      },
    },
  },
  getWorkflowExecutionHistory: {
    reqType: 'GetWorkflowExecutionHistoryRequest',
    req: {
      execution: { workflowId: 'wf-7' },
      maximumPageSize: 100,
      nextPageToken: bytes(0, 1, 2, 254),
      waitNewEvent: true,
      historyEventFilterType: 2,
    },
    resType: 'GetWorkflowExecutionHistoryResponse',
    res: {
      history: {
        events: [{ eventId: Long.fromNumber(1), eventType: 1, eventTime: { seconds: BIG, nanos: 1 } }],
      },
      nextPageToken: bytes(7, 7),
    },
  },
  queryWorkflow: {
    reqType: 'QueryWorkflowRequest',
    req: {
      execution: { workflowId: 'wf-8' },
      query: { queryType: 'state', queryArgs: { payloads: [payload([8])] } },
    },
    resType: 'QueryWorkflowResponse',
    res: { queryResult: { payloads: [payload([80, 81])] } },
  },
  updateWorkflowExecution: {
    reqType: 'UpdateWorkflowExecutionRequest',
    req: {
      namespace: 'orders',
      workflowExecution: { workflowId: 'wf-u' },
      firstExecutionRunId: 'run-first',
      waitPolicy: { lifecycleStage: 2 },
      request: {
        meta: { updateId: 'upd-1', identity: 'client' },
        input: { name: 'approve', args: { payloads: [payload([7, 0, 255])] } },
      },
    },
    resType: 'UpdateWorkflowExecutionResponse',
    res: {
      updateRef: { workflowExecution: { workflowId: 'wf-u', runId: 'run-u' }, updateId: 'upd-1' },
      outcome: { success: { payloads: [payload([70])] } },
      stage: 3,
    },
  },
  pollWorkflowExecutionUpdate: {
    reqType: 'PollWorkflowExecutionUpdateRequest',
    req: {
      namespace: 'orders',
      updateRef: { workflowExecution: { workflowId: 'wf-u', runId: 'run-u' }, updateId: 'upd-1' },
      waitPolicy: { lifecycleStage: 3 },
    },
    resType: 'PollWorkflowExecutionUpdateResponse',
    res: {
      updateRef: { workflowExecution: { workflowId: 'wf-u', runId: 'run-u' }, updateId: 'upd-1' },
      outcome: { failure: { message: 'refused', applicationFailureInfo: { type: 'E' } } },
      stage: 3,
    },
  },
  executeMultiOperation: {
    reqType: 'ExecuteMultiOperationRequest',
    req: {
      namespace: 'orders',
      operations: [
        {
          startWorkflow: {
            namespace: 'orders',
            workflowId: 'wf-m',
            workflowType: { name: 'Cart' },
            taskQueue: { name: 'q' },
            workflowIdConflictPolicy: 2,
          },
        },
        {
          updateWorkflow: {
            workflowExecution: { workflowId: 'wf-m' },
            request: { meta: { updateId: 'upd-m' }, input: { name: 'add' } },
          },
        },
      ],
    },
    resType: 'ExecuteMultiOperationResponse',
    res: {
      responses: [
        { startWorkflow: { runId: 'run-m', started: true } },
        { updateWorkflow: { updateRef: { updateId: 'upd-m' }, stage: 2 } },
      ],
    },
  },
  respondWorkflowTaskCompleted: {
    reqType: 'RespondWorkflowTaskCompletedRequest',
    req: {
      taskToken: bytes(10, 11),
      commands: [
        {
          commandType: 1,
          scheduleActivityTaskCommandAttributes: { activityId: 'a1', activityType: { name: 'charge' } },
        },
      ],
      sdkMetadata: { langUsedFlags: [1, 2] },
      identity: 'worker-1',
    },
    resType: 'RespondWorkflowTaskCompletedResponse',
    res: { workflowTask: { taskToken: bytes(12), startedEventId: BIG } },
  },
  respondWorkflowTaskFailed: {
    reqType: 'RespondWorkflowTaskFailedRequest',
    req: { taskToken: bytes(13), cause: 4, failure: { message: 'nondeterminism' } },
    resType: 'RespondWorkflowTaskFailedResponse',
    res: {},
  },
  recordActivityTaskHeartbeat: {
    reqType: 'RecordActivityTaskHeartbeatRequest',
    req: { taskToken: bytes(14), details: { payloads: [payload([14])] } },
    resType: 'RecordActivityTaskHeartbeatResponse',
    res: { cancelRequested: true },
  },
  recordActivityTaskHeartbeatById: {
    reqType: 'RecordActivityTaskHeartbeatByIdRequest',
    req: { workflowId: 'wf-15', runId: 'run-15', activityId: 'a15' },
    resType: 'RecordActivityTaskHeartbeatByIdResponse',
    res: { cancelRequested: true },
  },
  respondActivityTaskCompleted: {
    reqType: 'RespondActivityTaskCompletedRequest',
    req: { taskToken: bytes(16), result: { payloads: [payload([16])] } },
    resType: 'RespondActivityTaskCompletedResponse',
    res: {},
  },
  respondActivityTaskCompletedById: {
    reqType: 'RespondActivityTaskCompletedByIdRequest',
    req: { workflowId: 'wf-17', activityId: 'a17', result: { payloads: [payload([17])] } },
    resType: 'RespondActivityTaskCompletedByIdResponse',
    res: {},
  },
  respondActivityTaskFailed: {
    reqType: 'RespondActivityTaskFailedRequest',
    req: {
      taskToken: bytes(18),
      failure: { message: 'boom', applicationFailureInfo: { type: 'E', nonRetryable: true } },
    },
    resType: 'RespondActivityTaskFailedResponse',
    res: { failures: [{ message: 'x' }] },
  },
  respondActivityTaskFailedById: {
    reqType: 'RespondActivityTaskFailedByIdRequest',
    req: { workflowId: 'wf-19', activityId: 'a19', failure: { message: 'boom' } },
    resType: 'RespondActivityTaskFailedByIdResponse',
    res: {},
  },
  respondActivityTaskCanceled: {
    reqType: 'RespondActivityTaskCanceledRequest',
    req: { taskToken: bytes(20), details: { payloads: [payload([20])] } },
    resType: 'RespondActivityTaskCanceledResponse',
    res: {},
  },
  respondActivityTaskCanceledById: {
    reqType: 'RespondActivityTaskCanceledByIdRequest',
    req: { workflowId: 'wf-21', activityId: 'a21' },
    resType: 'RespondActivityTaskCanceledByIdResponse',
    res: {},
  },
};

const matchingCases: typeof historyCases = {
  pollWorkflowTaskQueue: {
    reqType: 'PollWorkflowTaskQueueRequest',
    req: { namespace: 'orders', taskQueue: { name: 'q', kind: 2, normalName: 'q0' }, identity: 'poller' },
    resType: 'PollWorkflowTaskQueueResponse',
    res: {
      taskToken: bytes(30, 31),
      workflowExecution: { workflowId: 'wf-30' },
      startedEventId: BIG,
      attempt: 2,
    },
  },
  pollActivityTaskQueue: {
    reqType: 'PollActivityTaskQueueRequest',
    req: {
      namespace: 'orders',
      taskQueue: { name: 'aq' },
      taskQueueMetadata: { maxTasksPerSecond: { value: 2.5 } },
    },
    resType: 'PollActivityTaskQueueResponse',
    res: { taskToken: bytes(32), activityId: 'a32', heartbeatDetails: { payloads: [payload([32])] } },
  },
  respondQueryTaskCompleted: {
    reqType: 'RespondQueryTaskCompletedRequest',
    req: { taskToken: bytes(33), completedType: 1, queryResult: { payloads: [payload([33])] } },
    resType: 'RespondQueryTaskCompletedResponse',
    res: {},
  },
};

const historyResponses: Record<string, unknown> = {
  recordWorkflowTaskStarted: {
    taskToken: bytes(40),
    startedEventId: BIG,
    attempt: 1,
    history: { events: [{ eventId: 1, eventType: 1 }] },
  },
  recordActivityTaskStarted: { taskToken: bytes(41), activityId: 'a41', attempt: 3 },
};
for (const [method, c] of Object.entries(historyCases)) historyResponses[method] = c.res;
const matchingResponses: Record<string, unknown> = {
  addWorkflowTask: undefined,
  addActivityTask: undefined,
  dispatchQuery: { taskToken: bytes(42), completedType: 1, queryResult: { payloads: [payload([42])] } },
};
for (const [method, c] of Object.entries(matchingCases)) matchingResponses[method] = c.res;

function nextCall(received: Received[], start: number): Received {
  assert.equal(received.length, start + 1, 'the server received exactly one call');
  return received[start] as Received;
}

function ctxWith(extra: Partial<CallContext> = {}): CallContext {
  return { signal: new AbortController().signal, ...extra };
}

async function rejection(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ServiceError, `expected a ServiceError, got ${String(error)}`);
    return error;
  }
  assert.fail('the call succeeded');
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Answers the frontend sends on to its client as they came (services/frontend encodeMessage). */
const HANDED_ON = new Set([
  'history.startWorkflowExecution',
  'history.signalWithStartWorkflowExecution',
  'history.getWorkflowExecutionHistory',
  'matching.pollWorkflowTaskQueue',
]);

describe('internal gRPC transport', () => {
  const received: Received[] = [];
  const behaviour: { fn?: Behaviour } = {};
  let server: InternalServer;
  let history: HistoryApi & { close(): void };
  let matching: MatchingApi & { close(): void };

  before(async () => {
    const historyMethods = [
      ...Object.keys(historyCases),
      'recordWorkflowTaskStarted',
      'recordActivityTaskStarted',
    ];
    const matchingMethods = [
      ...Object.keys(matchingCases),
      'addWorkflowTask',
      'addActivityTask',
      'dispatchQuery',
    ];
    server = await startInternalServer({
      host: '127.0.0.1',
      port: 0,
      history: fakeRole<HistoryApi>(historyMethods, historyResponses, received, behaviour),
      matching: fakeRole<MatchingApi>(matchingMethods, matchingResponses, received, behaviour),
    });
    assert.ok(server.port > 0);
    history = createHistoryClient(`127.0.0.1:${server.port}`);
    matching = createMatchingClient(`127.0.0.1:${server.port}`);
  });

  after(async () => {
    history.close();
    matching.close();
    await server.stop(1000);
  });

  for (const [label, cases, client] of [
    ['history', historyCases, () => history],
    ['matching', matchingCases, () => matching],
  ] as const) {
    for (const [method, c] of Object.entries(cases)) {
      test(
        `${label}.${method} carries the Temporal request, namespace and ids, and returns the response`,
        LIMIT,
        async () => {
          behaviour.fn = undefined;
          const start = received.length;
          const api = client() as unknown as Record<
            string,
            (ns: NamespaceRef, req: unknown, ctx: CallContext) => Promise<unknown>
          >;
          const fn = api[method];
          assert.ok(fn, `client has ${method}`);
          const res = await fn(NS, c.req, ctxWith({ correlationId: 'corr-42', identity: 'wörker ✓ 100%' }));
          const call = nextCall(received, start);
          assert.equal(call.method, method);
          assert.deepEqual(call.ns, NS);
          assert.equal(call.ctx.correlationId, 'corr-42');
          assert.equal(call.ctx.identity, 'wörker ✓ 100%');
          assert.equal(call.ctx.deadline, undefined);
          const reqType = wsType(c.reqType);
          assert.deepEqual(plain(reqType, call.req), plain(reqType, c.req));
          const resType = wsType(c.resType);
          assert.deepEqual(plain(resType, res), plain(resType, c.res));
          // The answers the frontend hands on to clients unchanged keep the bytes they arrived in; no other does.
          const passed = passedOnBytes(resType, res);
          assert.equal(passed !== undefined, HANDED_ON.has(`${label}.${method}`));
          if (passed) assert.deepEqual(plain(resType, resType.decode(passed)), plain(resType, c.res));
        },
      );
    }
  }

  test(
    'a request forwarded as received goes on as the bytes the client sent; any other is encoded from the object',
    LIMIT,
    async () => {
      behaviour.fn = undefined;
      const type = wsType('RespondActivityTaskCompletedRequest');
      // What the client sent differs from the object on purpose, so the test tells which of the two went out.
      const sent = Buffer.from(
        type
          .encode(type.fromObject({ namespace: 'orders', taskToken: bytes(1), identity: 'as-sent' }))
          .finish(),
      );
      const receivedAs = (identity: string) =>
        keepReceivedBytes(
          type.fromObject({ namespace: 'orders', taskToken: bytes(1), identity }),
          type,
          sent,
        );
      const identityOf = async (req: object): Promise<unknown> => {
        const start = received.length;
        await history.respondActivityTaskCompleted(NS, req as never, ctxWith());
        const call = nextCall(received, start);
        assert.deepEqual(call.ns, NS, 'the namespace beside the embedded request arrives too');
        return call.req.identity;
      };
      assert.equal(await identityOf(asReceived(receivedAs('edited'))), 'as-sent');
      // Not marked by its handler, or a copy (as limits and authorization make to change a request): encoded anew.
      assert.equal(await identityOf(receivedAs('edited')), 'edited');
      assert.equal(await identityOf({ ...asReceived(receivedAs('copied')) }), 'copied');
      assert.equal(
        passedOnBytes(wsType('RespondActivityTaskFailedRequest'), asReceived(receivedAs('x'))),
        undefined,
      );
    },
  );

  test('a handed-on answer is decoded when read, and a write to it drops its bytes', LIMIT, async () => {
    behaviour.fn = undefined;
    const type = wsType('GetWorkflowExecutionHistoryResponse');
    const expected = plain(type, historyCases.getWorkflowExecutionHistory?.res);
    const decode = type.decode.bind(type);
    let decodes = 0;
    type.decode = (...args: Parameters<Type['decode']>) => {
      decodes++;
      return decode(...args);
    };
    let untouched: Record<string, unknown>;
    try {
      // Resolving a promise with the answer looks up its `then`, and that is no reason to decode it.
      untouched = await Promise.resolve(
        (await history.getWorkflowExecutionHistory(NS, {}, ctxWith())) as Record<string, unknown>,
      );
      assert.equal(decodes, 0, 'handed on, nobody read it: not decoded');
      assert.ok(untouched.history, 'read, it is');
      assert.equal(decodes, 1);
    } finally {
      type.decode = decode;
    }
    const bytesOf = passedOnBytes(type, untouched);
    assert.ok(bytesOf, 'an answer that was only read keeps its bytes');
    assert.deepEqual(plain(type, type.decode(bytesOf)), expected);
    const read = (await history.getWorkflowExecutionHistory(NS, {}, ctxWith())) as Record<string, unknown>;
    assert.ok(read instanceof (type.ctor as unknown as new () => object), 'it is a message of its type');
    assert.deepEqual(plain(type, read), expected);
    assert.deepEqual(plain(type, Object.assign({}, read)), expected, 'a copy holds every field');
    assert.ok(passedOnBytes(type, read), 'reading keeps the bytes');
    read.nextPageToken = bytes(4, 2);
    assert.equal(passedOnBytes(type, read), undefined, 'a top-level write drops them');
    assert.deepEqual(plain(type, type.decode(type.encode(read).finish())), {
      ...expected,
      nextPageToken: 'BAI=',
    });
    const removed = (await history.getWorkflowExecutionHistory(NS, {}, ctxWith())) as Record<string, unknown>;
    delete removed.history;
    assert.equal(passedOnBytes(type, removed), undefined, 'so does a delete');
  });

  test('int64, bytes and enums arrive as protobuf values, not lossy numbers', LIMIT, async () => {
    behaviour.fn = undefined;
    const start = received.length;
    const res = await history.describeWorkflowExecution(NS, { execution: { workflowId: 'wf-6' } }, ctxWith());
    await history.startWorkflowExecution(NS, historyCases.startWorkflowExecution?.req ?? {}, ctxWith());
    const startReq = received[start + 1]?.req as {
      workflowExecutionTimeout: { seconds: Long };
      input: { payloads: Array<{ data: Uint8Array }> };
      workflowIdReusePolicy: number;
    };
    assert.equal(startReq.workflowExecutionTimeout.seconds.toString(), '9007199254740993');
    assert.ok(startReq.input.payloads[0]?.data instanceof Uint8Array);
    assert.deepEqual([...(startReq.input.payloads[0]?.data ?? [])], [1, 2, 3, 0, 255]);
    assert.equal(startReq.workflowIdReusePolicy, 3);
    const info = res.workflowExecutionInfo as { historyLength: Long; status: number };
    assert.equal(info.historyLength.toString(), '9007199254740993');
    assert.equal(info.status, 2);
  });

  test(
    'recordWorkflowTaskStarted / recordActivityTaskStarted carry Odin fields as JS numbers',
    LIMIT,
    async () => {
      behaviour.fn = undefined;
      const scheduledEventId = 2 ** 40 + 3;
      for (const [method, pollType, resType] of [
        ['recordWorkflowTaskStarted', 'PollWorkflowTaskQueueRequest', 'PollWorkflowTaskQueueResponse'],
        ['recordActivityTaskStarted', 'PollActivityTaskQueueRequest', 'PollActivityTaskQueueResponse'],
      ] as const) {
        const start = received.length;
        const pollRequest = {
          namespace: 'orders',
          taskQueue: { name: 'q', kind: 1 },
          identity: `poller-${method}`,
        };
        const req = {
          workflowId: 'wf-40',
          runId: 'run-40',
          scheduledEventId,
          requestId: `poll-${method}`,
          pollRequest,
        };
        const res = await history[method](NS, req, ctxWith());
        const call = nextCall(received, start);
        assert.equal(call.method, method);
        assert.deepEqual(call.ns, NS);
        assert.equal(call.req.workflowId, 'wf-40');
        assert.equal(call.req.runId, 'run-40');
        assert.equal(call.req.scheduledEventId, scheduledEventId);
        assert.equal(typeof call.req.scheduledEventId, 'number');
        assert.equal(call.req.requestId, `poll-${method}`);
        assert.deepEqual(plain(wsType(pollType), call.req.pollRequest), plain(wsType(pollType), pollRequest));
        assert.deepEqual(plain(wsType(resType), res), plain(wsType(resType), historyResponses[method]));
      }
    },
  );

  test('the history client says the remote records sdk_metadata', LIMIT, () => {
    assert.equal(history.recordsSdkMetadata, true);
  });

  test(
    'addWorkflowTask / addActivityTask carry the task pointer; unset optional fields stay absent',
    LIMIT,
    async () => {
      behaviour.fn = undefined;
      let start = received.length;
      const full = {
        taskQueue: 'sticky-q',
        workflowId: 'wf-50',
        runId: 'run-50',
        scheduledEventId: 2 ** 41 + 1,
        expiresAt: 1_790_000_000_123,
        sticky: true,
      };
      assert.equal(await matching.addWorkflowTask(NS, full, ctxWith()), undefined);
      let call = nextCall(received, start);
      assert.equal(call.method, 'addWorkflowTask');
      assert.deepEqual(call.ns, NS);
      assert.deepEqual(call.req, full);

      start = received.length;
      const minimal = { taskQueue: 'q', workflowId: 'wf-51', runId: 'run-51', scheduledEventId: 5 };
      assert.equal(await matching.addActivityTask(NS, minimal, ctxWith()), undefined);
      call = nextCall(received, start);
      assert.equal(call.method, 'addActivityTask');
      assert.deepEqual(call.req, minimal);
      assert.equal('expiresAt' in call.req, false);
      assert.equal('sticky' in call.req, false);

      start = received.length;
      await matching.addActivityTask(NS, { ...minimal, expiresAt: 0 }, ctxWith());
      assert.equal(nextCall(received, start).req.expiresAt, 0, 'an explicit 0 is not "unset"');
    },
  );

  test('dispatchQuery carries the query task and returns the worker answer', LIMIT, async () => {
    behaviour.fn = undefined;
    const start = received.length;
    const response = {
      taskToken: bytes(60, 61),
      query: { queryType: 'state', queryArgs: { payloads: [payload([60])] } },
      startedEventId: BIG,
    };
    const res = await matching.dispatchQuery(
      NS,
      { taskQueue: 'q-60', response, queryId: 'query-60' },
      ctxWith(),
    );
    const call = nextCall(received, start);
    assert.equal(call.method, 'dispatchQuery');
    assert.deepEqual(call.ns, NS);
    assert.equal(call.req.taskQueue, 'q-60');
    assert.equal(call.req.queryId, 'query-60');
    const pollRes = wsType('PollWorkflowTaskQueueResponse');
    assert.deepEqual(plain(pollRes, call.req.response), plain(pollRes, response));
    const answer = wsType('RespondQueryTaskCompletedRequest');
    assert.deepEqual(plain(answer, res), plain(answer, matchingResponses.dispatchQuery));
  });

  test('messages larger than the default 4 MiB limit pass both ways', LIMIT, async () => {
    const big = new Uint8Array(6 * 1024 * 1024).fill(7);
    behaviour.fn = async () => ({ queryResult: { payloads: [{ data: big }] } });
    const res = await history.queryWorkflow(
      NS,
      { query: { queryType: 'q', queryArgs: { payloads: [{ data: big }] } } },
      ctxWith(),
    );
    behaviour.fn = undefined;
    const sent = received.at(-1)?.req as { query: { queryArgs: { payloads: Array<{ data: Uint8Array }> } } };
    assert.equal(sent.query.queryArgs.payloads[0]?.data.length, big.length);
    assert.equal(res.queryResult?.payloads?.[0]?.data?.length, big.length);
  });

  test('a ServiceError keeps its code, message and errordetails detail', LIMIT, async () => {
    const thrown = [
      ServiceError.workflowAlreadyStarted(
        'Workflow execution is already running. WorkflowId: wf-1',
        'start-req-1',
        'run-already-1',
      ),
      ServiceError.notFound('workflow not found', { currentCluster: 'c1', activeCluster: 'c2' }),
      ServiceError.resourceExhausted('slow down', 2),
      ServiceError.failedPrecondition('sticky worker is gone'),
    ];
    for (const error of thrown) {
      behaviour.fn = async () => {
        throw error;
      };
      const got = await rejection(history.startWorkflowExecution(NS, { workflowId: 'wf-1' }, ctxWith()));
      assert.equal(got.code, error.code);
      assert.equal(got.message, error.message);
      assert.deepEqual(got.detail, error.detail);
    }
    behaviour.fn = async () => {
      throw ServiceError.workflowAlreadyStarted('already', 'start-req-2', 'run-2');
    };
    const got = await rejection(
      matching.addWorkflowTask(
        NS,
        { taskQueue: 'q', workflowId: 'w', runId: 'r', scheduledEventId: 1 },
        ctxWith(),
      ),
    );
    assert.equal(got.code, status.ALREADY_EXISTS);
    assert.deepEqual(got.detail, {
      typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
      value: { startRequestId: 'start-req-2', runId: 'run-2' },
    });
    behaviour.fn = undefined;
  });

  test('a multi-operation failure keeps every operation status and its detail', LIMIT, async () => {
    const error = ServiceError.multiOperation('Update-with-Start could not be executed.', [
      ServiceError.workflowAlreadyStarted('already running', 'start-req-3', 'run-3'),
      'aborted',
    ]);
    behaviour.fn = async () => {
      throw error;
    };
    const got = await rejection(history.executeMultiOperation(NS, { operations: [] }, ctxWith()));
    behaviour.fn = undefined;
    assert.equal(got.code, status.ALREADY_EXISTS);
    assert.equal(got.message, 'Update-with-Start could not be executed.');
    assert.equal(got.detail?.typeName, 'temporal.api.errordetails.v1.MultiOperationExecutionFailure');
    const statuses = (got.detail!.value as { statuses: { code: number; details: { type_url: string }[] }[] })
      .statuses;
    assert.deepEqual(
      statuses.map((s) => [s.code, s.details.map((d) => d.type_url)]),
      [
        [
          status.ALREADY_EXISTS,
          ['type.googleapis.com/temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure'],
        ],
        [status.ABORTED, ['type.googleapis.com/temporal.api.failure.v1.MultiOperationExecutionAborted']],
      ],
    );
  });

  test('any other exception becomes INTERNAL with its message', LIMIT, async () => {
    behaviour.fn = async () => {
      throw new Error('database exploded');
    };
    const got = await rejection(history.signalWorkflowExecution(NS, {}, ctxWith()));
    behaviour.fn = undefined;
    assert.equal(got.code, status.INTERNAL);
    assert.equal(got.message, 'database exploded');
    assert.equal(got.detail, undefined);
  });

  test('the caller deadline reaches the server as ctx.deadline', LIMIT, async () => {
    behaviour.fn = undefined;
    const start = received.length;
    const deadline = Date.now() + 30_000;
    await matching.pollWorkflowTaskQueue(NS, { taskQueue: { name: 'q' } }, ctxWith({ deadline }));
    const seen = nextCall(received, start).ctx.deadline;
    assert.ok(seen !== undefined, 'deadline set');
    assert.ok(Math.abs(seen - deadline) < 1000, `server deadline ${seen} ≈ client deadline ${deadline}`);
  });

  test(
    'an expired deadline fails the call with DEADLINE_EXCEEDED and aborts the server-side signal',
    LIMIT,
    async () => {
      const start = received.length;
      behaviour.fn = (_method, _req, ctx) => waitForAbort(ctx.signal).then(() => ({}));
      const got = await rejection(
        matching.pollActivityTaskQueue(
          NS,
          { taskQueue: { name: 'q' } },
          ctxWith({ deadline: Date.now() + 200 }),
        ),
      );
      behaviour.fn = undefined;
      assert.equal(got.code, status.DEADLINE_EXCEEDED);
      const serverSignal = nextCall(received, start).ctx.signal;
      await waitForAbort(serverSignal);
      assert.equal(serverSignal.aborted, true);
    },
  );

  test('aborting the caller signal cancels the call and the server-side ctx.signal', LIMIT, async () => {
    const start = received.length;
    let arrived!: () => void;
    const serverHasCall = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    behaviour.fn = (_method, _req, ctx) => {
      arrived();
      return waitForAbort(ctx.signal).then(() => ({}));
    };
    const controller = new AbortController();
    const pending = rejection(
      history.getWorkflowExecutionHistory(NS, { waitNewEvent: true }, { signal: controller.signal }),
    );
    await serverHasCall;
    const serverSignal = nextCall(received, start).ctx.signal;
    assert.equal(serverSignal.aborted, false);
    controller.abort();
    const got = await pending;
    assert.equal(got.code, status.CANCELLED);
    await waitForAbort(serverSignal);
    assert.equal(serverSignal.aborted, true);
    behaviour.fn = undefined;
  });

  test('an already aborted signal fails with CANCELLED without calling the server', LIMIT, async () => {
    const start = received.length;
    const controller = new AbortController();
    controller.abort();
    const got = await rejection(history.terminateWorkflowExecution(NS, {}, { signal: controller.signal }));
    assert.equal(got.code, status.CANCELLED);
    assert.equal(received.length, start);
  });
});

describe('internal gRPC transport failures', () => {
  test('a client to a closed port fails with UNAVAILABLE', LIMIT, async () => {
    const port = await freePort();
    const client = createMatchingClient(`127.0.0.1:${port}`);
    try {
      const got = await rejection(
        client.pollWorkflowTaskQueue(NS, {}, ctxWith({ deadline: Date.now() + 10_000 })),
      );
      assert.equal(got.code, status.UNAVAILABLE);
    } finally {
      client.close();
    }
  });

  test(
    'stopping the server aborts in-flight long polls, which answer before the server closes',
    LIMIT,
    async () => {
      let arrived!: () => void;
      const serverHasCall = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      let serverSignal: AbortSignal | undefined;
      const matchingImpl = {
        pollWorkflowTaskQueue: async (_ns: NamespaceRef, _req: unknown, ctx: CallContext) => {
          serverSignal = ctx.signal;
          arrived();
          await waitForAbort(ctx.signal);
          return {};
        },
      } as unknown as MatchingApi;
      const server = await startInternalServer({ host: '127.0.0.1', port: 0, matching: matchingImpl });
      const client = createMatchingClient(`127.0.0.1:${server.port}`);
      try {
        const poll = client.pollWorkflowTaskQueue(
          NS,
          { taskQueue: { name: 'q' } },
          ctxWith({ deadline: Date.now() + 60_000 }),
        );
        await serverHasCall;
        const began = Date.now();
        await server.stop(30_000);
        assert.ok(Date.now() - began < 10_000, 'stop did not wait for the poll timeout');
        assert.equal(serverSignal?.aborted, true);
        const res = await poll;
        assert.equal(!res.taskToken || res.taskToken.length === 0, true, 'empty poll response');
      } finally {
        client.close();
      }
    },
  );

  test('stop(graceMs) closes calls that ignore the abort once the grace period ends', LIMIT, async () => {
    const matchingImpl = { pollWorkflowTaskQueue: () => new Promise(() => {}) } as unknown as MatchingApi;
    const server = await startInternalServer({ host: '127.0.0.1', port: 0, matching: matchingImpl });
    const client = createMatchingClient(`127.0.0.1:${server.port}`);
    try {
      const poll = rejection(client.pollWorkflowTaskQueue(NS, {}, ctxWith()));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const began = Date.now();
      await server.stop(300);
      assert.ok(Date.now() - began < 5_000, 'stop ended after the grace period');
      assert.notEqual((await poll).code, status.OK);
    } finally {
      client.close();
    }
  });

  test(
    "matching hands history's record…Started answer on over a second hop intact (its bytes are reused)",
    LIMIT,
    async () => {
      const answer = {
        taskToken: bytes(1, 2, 3),
        workflowExecution: { workflowId: 'wf-hop', runId: 'run-hop' },
        history: {
          events: [
            {
              eventId: BIG,
              eventType: 1,
              workflowExecutionStartedEventAttributes: { input: { payloads: [payload([7, 0, 255])] } },
            },
            { eventId: 2, eventType: 5 },
          ],
        },
        nextEventId: 3,
      };
      const historyServer = await startInternalServer({
        host: '127.0.0.1',
        port: 0,
        history: { recordWorkflowTaskStarted: async () => answer } as unknown as HistoryApi,
      });
      const historyClient = createHistoryClient(`127.0.0.1:${historyServer.port}`);
      const matchingServer = await startInternalServer({
        host: '127.0.0.1',
        port: 0,
        matching: {
          pollWorkflowTaskQueue: (ns: NamespaceRef, req: never, ctx: CallContext) =>
            historyClient.recordWorkflowTaskStarted(
              ns,
              {
                workflowId: 'wf-hop',
                runId: 'run-hop',
                scheduledEventId: 2,
                requestId: 'r',
                pollRequest: req,
              },
              ctx,
            ),
        } as unknown as MatchingApi,
      });
      const matchingClient = createMatchingClient(`127.0.0.1:${matchingServer.port}`);
      try {
        const got = await matchingClient.pollWorkflowTaskQueue(NS, { taskQueue: { name: 'q' } }, ctxWith());
        const type = wsType('PollWorkflowTaskQueueResponse');
        assert.deepEqual(plain(type, got), plain(type, answer));
        // The frontend, third hop, hands the poll's answer on to the worker as the bytes it arrived in …
        const passed = passedOnBytes(type, got);
        assert.ok(passed, 'the poll answer keeps its bytes');
        assert.deepEqual(plain(type, type.decode(passed)), plain(type, answer));
        assert.equal(passedOnBytes(wsType('PollActivityTaskQueueResponse'), got), undefined);
        // … but a copy made to change it (as authorization does to bind task tokens) is encoded anew.
        assert.equal(passedOnBytes(type, { ...(got as object), taskToken: bytes(9) }), undefined);
        assert.equal(passedOnBytes(type, Object.assign({}, got)), undefined);
      } finally {
        matchingClient.close();
        historyClient.close();
        await matchingServer.stop(1000);
        await historyServer.stop(1000);
      }
    },
  );

  test('an RPC the implementation lacks answers UNIMPLEMENTED', LIMIT, async () => {
    const server = await startInternalServer({ host: '127.0.0.1', port: 0, matching: {} as MatchingApi });
    const client = createMatchingClient(`127.0.0.1:${server.port}`);
    try {
      const got = await rejection(client.respondQueryTaskCompleted(NS, {}, ctxWith()));
      assert.equal(got.code, status.UNIMPLEMENTED);
    } finally {
      client.close();
      await server.stop(1000);
    }
  });
});

describe('internal gRPC transport across versions', () => {
  /** A matching fake whose describeTaskQueue names the queue it was asked about; answers come back in any order. */
  const describing = {
    describeTaskQueue: async (_ns: NamespaceRef, req: { taskQueue?: { name?: string } }) => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
      return { pollers: [{ identity: `poller-of-${req.taskQueue?.name}` }] };
    },
  } as unknown as MatchingApi;

  /** `count` CALL frames of describeTaskQueue (an empty request: a valid message), as one stream would carry them. */
  async function callFrames(count: number): Promise<Buffer[]> {
    const { encodeMuxFrame, MUX_CALL } = await import('../src/mux-frame.js');
    return Array.from({ length: count }, (_, i) =>
      encodeMuxFrame(MUX_CALL, i + 1, { m: 'describeTaskQueue' }, bytes()),
    );
  }

  /**
   * Opens the multiplexing stream of matching at `port` as a raw client, writes `frames` in one turn and collects
   * the messages that come back until `answers` frames arrived: what a client of another version would see.
   */
  async function rawStream(
    port: number,
    frames: Buffer[],
    answers: number,
    advertiseBatching: boolean,
  ): Promise<{ messages: Buffer[]; kinds: number[]; batchingAnswered: boolean }> {
    const { Client, credentials, Metadata } = await import('@grpc/grpc-js');
    const { MATCHING_SERVICE } = await import('../src/internal/grpc/matching.js');
    const { MUX_BATCH, MUX_BATCH_METADATA, muxBatchFrames, parseMuxFrame } = await import(
      '../src/mux-frame.js'
    );
    const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
    const metadata = new Metadata();
    if (advertiseBatching) metadata.set(MUX_BATCH_METADATA, '1');
    const same = (b: Buffer) => b;
    const stream = client.makeBidiStreamRequest(`/${MATCHING_SERVICE}/OdinMux`, same, same, metadata, {});
    let batchingAnswered = false;
    stream.on('metadata', (answer) => {
      batchingAnswered = answer.get(MUX_BATCH_METADATA)[0] === '1';
    });
    const messages: Buffer[] = [];
    const kinds: number[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        setTimeout(() => reject(new Error(`${kinds.length} of ${answers} answers in 5 s`)), 5_000).unref();
        stream.on('error', reject);
        stream.on('data', (message: Buffer) => {
          messages.push(message);
          const frame = parseMuxFrame(message);
          const inner = frame?.kind === MUX_BATCH ? (muxBatchFrames(frame) ?? []) : frame ? [frame] : [];
          for (const f of inner) kinds.push(f.kind);
          if (kinds.length >= answers) resolve();
        });
        for (const frame of frames) stream.write(frame);
      });
    } finally {
      stream.cancel();
      client.close();
    }
    return { messages, kinds, batchingAnswered };
  }

  test('between peers of this version, the frames of one turn travel as one message', LIMIT, async () => {
    const { MUX_BATCH, MUX_OK, encodeMuxBatch } = await import('../src/mux-frame.js');
    const server = await startInternalServer({ host: '127.0.0.1', port: 0, matching: describing });
    try {
      const frames = await callFrames(40);
      // The client's frames as a batch too: the server reads them.
      const got = await rawStream(
        server.port,
        [encodeMuxBatch(frames.slice(0, 20)), ...frames.slice(20)],
        40,
        true,
      );
      assert.ok(got.batchingAnswered, 'the server says it reads batches');
      assert.deepEqual(got.kinds, Array(40).fill(MUX_OK));
      assert.ok(got.messages.length < 40, `40 answers in ${got.messages.length} messages`);
      assert.ok(got.messages.some((m) => m[0] === MUX_BATCH));
    } finally {
      await server.stop(1000);
    }
  });

  test('a client of the version before batching gets one frame per message', LIMIT, async () => {
    const { MUX_OK } = await import('../src/mux-frame.js');
    const server = await startInternalServer({ host: '127.0.0.1', port: 0, matching: describing });
    try {
      const got = await rawStream(server.port, await callFrames(40), 40, false);
      assert.equal(got.batchingAnswered, false);
      assert.equal(got.messages.length, 40);
      assert.deepEqual(got.kinds, Array(40).fill(MUX_OK));
    } finally {
      await server.stop(1000);
    }
  });

  test('a server of the version before batching is sent one frame per message', LIMIT, async () => {
    const { Server, ServerCredentials } = await import('@grpc/grpc-js');
    const { MATCHING_SERVICE } = await import('../src/internal/grpc/matching.js');
    const { muxMethodDefinition } = await import('../src/internal/grpc/mux.js');
    const { encodeMuxFrame, MUX_OK, parseMuxFrame } = await import('../src/mux-frame.js');
    const { rpcTypes } = await import('../src/internal/grpc/protos.js');
    const { responseType } = rpcTypes(MATCHING_SERVICE, 'DescribeTaskQueue');
    const kinds: number[] = [];
    const server = new Server();
    // The stream as the version before batching served it: one frame per message each way, no metadata.
    server.addService({ odinMux: muxMethodDefinition(MATCHING_SERVICE) } as never, {
      odinMux: (stream: import('@grpc/grpc-js').ServerDuplexStream<Buffer, Buffer>) => {
        stream.on('data', (message: Buffer) => {
          const frame = parseMuxFrame(message);
          if (!frame) return;
          kinds.push(frame.kind);
          const answer = responseType.encode({ pollers: [{ identity: `answer-${frame.id}` }] }).finish();
          stream.write(encodeMuxFrame(MUX_OK, frame.id, undefined, answer));
        });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    const client = createMatchingClient(`127.0.0.1:${port}`);
    try {
      const answers = (await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          client.describeTaskQueue(
            NS,
            { namespace: NS.name, taskQueue: { name: `q${i}` } },
            // A frame the old server cannot read is never answered: the deadline ends the test instead of a hang.
            ctxWith({ deadline: Date.now() + 5_000 }),
          ),
        ),
      )) as { pollers?: { identity?: string }[] }[];
      assert.equal(answers.length, 40);
      assert.equal(new Set(answers.map((a) => a.pollers?.[0]?.identity)).size, 40);
      assert.deepEqual(kinds, Array(40).fill(1), 'forty CALL frames, none in a batch');
    } finally {
      client.close();
      server.forceShutdown();
    }
  });

  test(
    'a peer without the multiplexing RPC (an older version) is called with unary calls',
    LIMIT,
    async () => {
      const { Server, ServerCredentials } = await import('@grpc/grpc-js');
      const { addMatchingService, MATCHING_SERVICE } = await import('../src/internal/grpc/matching.js');
      const { muxMethodDefinition } = await import('../src/internal/grpc/mux.js');
      const seen: string[] = [];
      const server = new Server();
      addMatchingService(server, {
        describeTaskQueue: async (_ns: NamespaceRef, req: { taskQueue?: { name?: string } }) => {
          seen.push(req.taskQueue?.name ?? '');
          return { pollers: [{ identity: `poller-of-${req.taskQueue?.name}` }] };
        },
      } as unknown as MatchingApi);
      // What a server of the version before the multiplexed stream serves: the unary methods only.
      server.removeService({ odinMux: muxMethodDefinition(MATCHING_SERVICE) });
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
          error ? reject(error) : resolve(bound),
        ),
      );
      const client = createMatchingClient(`127.0.0.1:${port}`);
      try {
        for (const name of ['first', 'second']) {
          const answer = (await client.describeTaskQueue(
            NS,
            { namespace: NS.name, taskQueue: { name } },
            ctxWith(),
          )) as { pollers?: { identity?: string }[] };
          assert.equal(answer.pollers?.[0]?.identity, `poller-of-${name}`);
        }
        assert.deepEqual(seen, ['first', 'second']);
      } finally {
        client.close();
        server.forceShutdown();
      }
    },
  );
});

// Bad input against a real server: random and byte-mutated requests of every implemented WorkflowService and
// OperatorService RPC over gRPC, and random bodies and paths over the HTTP API. No answer is INTERNAL or UNKNOWN (a
// client's mistake is never the server's fault), every answer's headers stay small whatever the request echoed,
// the server keeps serving, and workflows acknowledged before the fuzz still describe, take a signal's effect and
// complete afterwards. One database (SQLite): input handling lives in the frontend, above the store.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { protoRoot, temporal } from '@odin/api';
import {
  deriveHttpRoutes,
  encodeMessage,
  HEALTH_SERVICE,
  HTTP_SERVICES,
  type HttpRoute,
  OPERATOR_SERVICE,
  TemporalGrpcClient,
  WORKFLOW_SERVICE,
} from '@odin/frontend';
import { type DevServer, startDevServer } from '@odin/server';
import fc from 'fast-check';
import { RawGrpcClient } from './raw-grpc.js';
import { mutatedBytes, type ProtoType, RequestArbitraries } from './request-arbitraries.js';

const INTERNAL = 13;
const UNKNOWN = 2;
const UNIMPLEMENTED = 12;
/** Far below the 16 KiB header list grpc-js clients accept: an answer must never echo a request whole. */
const MAX_ANSWER_HEADER_BYTES = 8 * 1024;
const CALL_TIMEOUT_MS = 1_000;
/**
 * Longer or other runs for a hunt: ODIN_INPUT_FUZZ_RUNS multiplies every property's run count, ODIN_INPUT_FUZZ_SEED
 * replaces the fixed seeds (the default runs are fixed, so a failure reproduces).
 */
const RUNS = Number(process.env.ODIN_INPUT_FUZZ_RUNS ?? 1);
const SEED =
  process.env.ODIN_INPUT_FUZZ_SEED === undefined ? undefined : Number(process.env.ODIN_INPUT_FUZZ_SEED);
const runs = (numRuns: number, seed: number) => ({ numRuns: Math.round(numRuns * RUNS), seed: SEED ?? seed });

const { EventType, WorkflowExecutionStatus, CommandType } = temporal.api.enums.v1;

/** Namespaces, ids and queues the fuzz may name: real ones mostly, never the namespace the kept workflows live in. */
const FUZZ_NAMES = [
  'default',
  'fuzz',
  'fuzz-wf',
  'fuzz-q',
  'Signal',
  'wf-1',
  'CustomKeywordField',
  'WorkflowId',
];
const KEPT_NAMESPACE = 'kept-state';
/**
 * Where the tests that need a working namespace start their workflows: one the fuzz never names, since a fuzzed
 * DeprecateNamespace or DeleteNamespace may take `fuzz` or `default` away, as it should.
 */
const WORK_NAMESPACE = 'fuzz-work';

const payloads = (value: unknown) => ({
  payloads: [{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from(JSON.stringify(value)) }],
});

const execution = { workflowId: 'fuzz-wf' };
const taskQueue = { name: 'fuzz-q' };

/** A valid request of each RPC the object-level mutations start from (all on the `fuzz` namespace). */
const TEMPLATES: Readonly<Record<string, Record<string, unknown>>> = {
  StartWorkflowExecution: {
    namespace: 'fuzz',
    workflowId: 'fuzz-wf',
    workflowType: { name: 'Fuzz' },
    taskQueue,
    input: payloads('x'),
    workflowExecutionTimeout: { seconds: 3600 },
    workflowRunTimeout: { seconds: 600 },
    searchAttributes: { indexedFields: { CustomKeywordField: payloads('k').payloads[0] } },
    memo: { fields: { note: payloads('m').payloads[0] } },
    cronSchedule: '0 0 * * MON',
    retryPolicy: { initialInterval: { seconds: 1 }, backoffCoefficient: 2, maximumAttempts: 3 },
  },
  SignalWithStartWorkflowExecution: {
    namespace: 'fuzz',
    workflowId: 'fuzz-wf',
    workflowType: { name: 'Fuzz' },
    taskQueue,
    signalName: 'Signal',
    signalInput: payloads('s'),
  },
  SignalWorkflowExecution: { namespace: 'fuzz', workflowExecution: execution, signalName: 'Signal' },
  RequestCancelWorkflowExecution: { namespace: 'fuzz', workflowExecution: execution },
  TerminateWorkflowExecution: { namespace: 'fuzz', workflowExecution: execution, reason: 'fuzz' },
  DescribeWorkflowExecution: { namespace: 'fuzz', execution },
  GetWorkflowExecutionHistory: { namespace: 'fuzz', execution, maximumPageSize: 2 },
  QueryWorkflow: { namespace: 'fuzz', execution, query: { queryType: '__stack_trace' } },
  ListWorkflowExecutions: { namespace: 'fuzz', pageSize: 5, query: "WorkflowType = 'Fuzz'" },
  CountWorkflowExecutions: { namespace: 'fuzz', query: 'GROUP BY ExecutionStatus' },
  ScanWorkflowExecutions: { namespace: 'fuzz', pageSize: 5 },
  PollWorkflowTaskQueue: { namespace: 'fuzz', taskQueue, identity: 'fuzzer' },
  PollActivityTaskQueue: { namespace: 'fuzz', taskQueue, identity: 'fuzzer' },
  RegisterNamespace: { namespace: 'fuzz-new', workflowExecutionRetentionPeriod: { seconds: 86_400 } },
  UpdateNamespace: { namespace: 'fuzz', updateInfo: { description: 'fuzzed' } },
  DescribeNamespace: { namespace: 'fuzz' },
  ListNamespaces: { pageSize: 2 },
  AddSearchAttributes: { namespace: 'fuzz', searchAttributes: { FuzzAttribute: 2 } },
  RemoveSearchAttributes: { namespace: 'fuzz', searchAttributes: ['FuzzAttribute'] },
  ListSearchAttributes: { namespace: 'fuzz' },
  UpdateWorkflowExecution: {
    namespace: 'fuzz',
    workflowExecution: execution,
    request: { meta: { updateId: 'u1' }, input: { name: 'Update' } },
  },
  ResetStickyTaskQueue: { namespace: 'fuzz', execution },
  ExecuteMultiOperation: {
    namespace: 'fuzz',
    operations: [
      {
        startWorkflow: {
          namespace: 'fuzz',
          workflowId: 'fuzz-wf',
          workflowType: { name: 'Fuzz' },
          taskQueue,
          searchAttributes: { indexedFields: { CustomKeywordField: payloads('k').payloads[0] } },
        },
      },
      {
        updateWorkflow: {
          namespace: 'fuzz',
          workflowExecution: execution,
          request: { meta: { updateId: 'u2' }, input: { name: 'Update' } },
        },
      },
    ],
  },
  RespondActivityTaskFailed: {
    namespace: 'fuzz',
    taskToken: Buffer.from('{"v":1,"kind":"activity","namespaceId":"x"}'),
    failure: { message: 'f', applicationFailureInfo: { nextRetryDelay: { seconds: 1 } } },
  },
  RespondQueryTaskCompleted: { namespace: 'fuzz', taskToken: Buffer.from('{}'), completedType: 1 },
  RecordActivityTaskHeartbeatById: { namespace: 'fuzz', workflowId: 'fuzz-wf', activityId: 'a1' },
};

/** A request object as HTTP API JSON: bytes (Buffer or Uint8Array) as base64, as ProtoJSON writes them. */
function jsonText(value: unknown): string {
  const convert = (v: unknown): unknown => {
    if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
    if (Array.isArray(v)) return v.map(convert);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, convert(item)]));
    }
    return v;
  };
  return JSON.stringify(convert(value));
}

interface Target {
  readonly service: string;
  readonly method: string;
  readonly requestType: ProtoType & Parameters<typeof encodeMessage>[0];
}

function targetsOf(service: string): Target[] {
  return Object.values(protoRoot.lookupService(service).methods).map((m) => {
    m.resolve();
    return { service, method: m.name, requestType: m.resolvedRequestType! };
  });
}

describe('bad input gets a clear error and changes nothing (property, real server)', () => {
  let server: DevServer;
  let client: TemporalGrpcClient;
  let raw: RawGrpcClient;
  const implemented: Target[] = [];
  const keptQueue = `kept-${process.pid}-${Date.now()}`;
  const kept = ['kept-1', 'kept-2'];
  const arbitraries = new RequestArbitraries({ names: FUZZ_NAMES, maxDepth: 3 });
  const answers = new Map<number | undefined, number>();

  /** Sends one request as bytes; asserts the answer is a proper status that is not the server's fault. */
  async function send(target: Target, body: Uint8Array, label: string): Promise<void> {
    const answer = await raw.call(`/${target.service}/${target.method}`, body, CALL_TIMEOUT_MS);
    answers.set(answer.code, (answers.get(answer.code) ?? 0) + 1);
    const shown = `${target.method} (${label}): ${answer.code} ${answer.message.slice(0, 300)}`;
    assert.notEqual(answer.code, undefined, `no grpc-status: ${shown}`);
    assert.notEqual(answer.code, INTERNAL, shown);
    assert.notEqual(answer.code, UNKNOWN, shown);
    assert.ok(
      answer.headerBytes <= MAX_ANSWER_HEADER_BYTES,
      `${answer.headerBytes} bytes of headers: ${shown}`,
    );
  }

  /** The request as bytes; undefined for the rare object protobufjs cannot encode (nothing to send then). */
  function encode(target: Target, request: Record<string, unknown>): Uint8Array | undefined {
    try {
      return encodeMessage(target.requestType, request);
    } catch {
      return undefined;
    }
  }

  before(async () => {
    server = await startDevServer({
      port: 0,
      httpPort: 0,
      namespaces: ['fuzz', KEPT_NAMESPACE, WORK_NAMESPACE],
    });
    client = new TemporalGrpcClient(server.address);
    raw = new RawGrpcClient(server.address);
    // Acknowledged before the fuzz: two started workflows, one signalled.
    for (const workflowId of kept) {
      await client.call('StartWorkflowExecution', {
        namespace: KEPT_NAMESPACE,
        workflowId,
        workflowType: { name: 'Kept' },
        taskQueue: { name: keptQueue },
        input: payloads(workflowId),
        requestId: `${workflowId}-start`,
      });
    }
    await client.call('SignalWorkflowExecution', {
      namespace: KEPT_NAMESPACE,
      workflowExecution: { workflowId: 'kept-1' },
      signalName: 'acknowledged',
      input: payloads('before the fuzz'),
      requestId: 'kept-1-signal',
    });
    // What the frontend implements: every method that does not answer UNIMPLEMENTED to an empty request.
    for (const target of [...targetsOf(WORKFLOW_SERVICE), ...targetsOf(OPERATOR_SERVICE)]) {
      const answer = await raw.call(`/${target.service}/${target.method}`, new Uint8Array(), CALL_TIMEOUT_MS);
      assert.notEqual(answer.code, INTERNAL, `${target.method} with an empty request: ${answer.message}`);
      if (answer.code !== UNIMPLEMENTED) implemented.push(target);
    }
  });

  after(async () => {
    raw?.close();
    client?.close();
    await server?.stop();
  });

  test('the fuzz reaches every RPC docs/compatibility.md lists as implemented', () => {
    const table = readFileSync(new URL('../../docs/compatibility.md', import.meta.url), 'utf8');
    const documented = [...table.matchAll(/^\| (\w+) \| Implemented \|/gm)].map((m) => m[1]!);
    assert.ok(documented.length > 30, `${documented.length} documented methods`);
    const reached = new Set(implemented.map((t) => t.method));
    assert.deepEqual(
      documented.filter((method) => !reached.has(method)),
      [],
      'documented as implemented but UNIMPLEMENTED',
    );
  });

  test('every implemented RPC: random requests answer a status that is not INTERNAL or UNKNOWN', async (t) => {
    // Every method first, a few requests each, so none is left to chance; then a random mix.
    for (const [i, target] of implemented.entries()) {
      const samples = fc.sample(arbitraries.message(target.requestType), { numRuns: 4, seed: 2600 + i });
      for (const request of samples) {
        const body = encode(target, request);
        if (body) await send(target, body, 'random');
      }
    }
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...implemented)
          .chain((target) => arbitraries.message(target.requestType).map((request) => ({ target, request }))),
        async ({ target, request }) => {
          const body = encode(target, request);
          if (body) await send(target, body, 'random');
        },
      ),
      runs(600, 26),
    );
    assert.ok((answers.get(3) ?? 0) > 50, 'many requests are refused as INVALID_ARGUMENT');
    t.diagnostic(`answers by grpc-status: ${JSON.stringify(Object.fromEntries(answers))}`);
  });

  test('valid requests with one to three fields gone wrong answer a status that is not INTERNAL or UNKNOWN', async () => {
    const targets = implemented.filter((t) => TEMPLATES[t.method] !== undefined);
    assert.equal(targets.length, Object.keys(TEMPLATES).length, 'every template names an implemented RPC');
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...targets)
          .chain((target) =>
            arbitraries
              .mutated(target.requestType, TEMPLATES[target.method]!)
              .map((request) => ({ target, request })),
          ),
        async ({ target, request }) => {
          const body = encode(target, request);
          if (body) await send(target, body, 'mutated');
        },
      ),
      runs(600, 2605),
    );
  });

  test('workflow task completions with random commands answer a status that is not INTERNAL or UNKNOWN', async (t) => {
    const complete = implemented.find((t) => t.method === 'RespondWorkflowTaskCompleted')!;
    const commandType = protoRoot.lookupType('temporal.api.command.v1.Command') as unknown as ProtoType;
    const queue = { name: 'fuzz-commands' };
    let n = 0;
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(arbitraries.message(commandType), { minLength: 1, maxLength: 3 }),
        async (commands) => {
          const workflowId = `fuzz-commands-${n++}`;
          await client.call('StartWorkflowExecution', {
            namespace: WORK_NAMESPACE,
            workflowId,
            workflowType: { name: 'Fuzz' },
            taskQueue: queue,
            requestId: workflowId,
          });
          const task = await client.call('PollWorkflowTaskQueue', {
            namespace: WORK_NAMESPACE,
            taskQueue: queue,
          });
          assert.ok((task.taskToken as Uint8Array).length > 0, 'the poll got the new workflow task');
          const body = encode(complete, { namespace: WORK_NAMESPACE, taskToken: task.taskToken, commands });
          if (!body) return;
          const before = answers.get(0) ?? 0;
          await send(complete, body, `commands ${JSON.stringify(commands).slice(0, 300)}`);
          if ((answers.get(0) ?? 0) > before) accepted++;
          await client
            .call('TerminateWorkflowExecution', {
              namespace: WORK_NAMESPACE,
              workflowExecution: { workflowId },
              reason: 'next',
            })
            .catch(() => {});
        },
      ),
      runs(150, 2611),
    );
    // Some random command lists are valid enough to be applied: the fuzz reaches history's command handling.
    t.diagnostic(`completions accepted: ${accepted} of ${n}`);
    assert.ok(accepted > 0);
  });

  test('every implemented RPC: byte-mutated requests answer a status that is not INTERNAL or UNKNOWN', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...implemented)
          .chain((target) =>
            mutatedBytes(
              arbitraries
                .message(target.requestType)
                .map((request) => encode(target, request) ?? new Uint8Array()),
            ).map((body) => ({ target, body })),
          ),
        async ({ target, body }) => send(target, body, `bytes ${Buffer.from(body).toString('hex', 0, 40)}`),
      ),
      runs(600, 2613),
    );
  });

  test('a cron run terminated in its first wait (closed before its execution time) lists over the HTTP API', async () => {
    // Found by the HTTP fuzz: its negative execution duration was encoded with mixed signs, which ProtoJSON refuses.
    await client.call('StartWorkflowExecution', {
      namespace: WORK_NAMESPACE,
      workflowId: 'cron-terminated',
      workflowType: { name: 'Fuzz' },
      taskQueue,
      cronSchedule: '0 0 1 1 *',
      requestId: 'cron-terminated',
    });
    await client.call('TerminateWorkflowExecution', {
      namespace: WORK_NAMESPACE,
      workflowExecution: { workflowId: 'cron-terminated' },
    });
    const query = encodeURIComponent("WorkflowId = 'cron-terminated'");
    const response = await fetch(
      `http://127.0.0.1:${server.httpPort}/api/v1/namespaces/${WORK_NAMESPACE}/workflows?query=${query}`,
    );
    const body = (await response.json()) as { executions?: { executionDuration?: string }[] };
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.match(body.executions?.[0]?.executionDuration ?? '', /^-\d+(\.\d+)?s$/);
  });

  test('every HTTP API route: random bodies and path segments answer no 5xx and no INTERNAL', async () => {
    const routes = deriveHttpRoutes(HTTP_SERVICES).filter((r) =>
      implemented.some((t) => t.method === r.method),
    );
    assert.ok(routes.length > 20, `${routes.length} routes`);
    const base = `http://127.0.0.1:${server.httpPort}`;
    const segment = fc.oneof(
      fc.constantFrom(...FUZZ_NAMES),
      fc.string({ maxLength: 12 }).map(encodeURIComponent),
      fc.constantFrom('%', '%00', '..', 'n'.repeat(5000)),
    );
    const template = (route: HttpRoute) => TEMPLATES[route.method];
    const json = (route: HttpRoute) =>
      fc.oneof(
        arbitraries.message(route.requestType).map(jsonText),
        template(route) === undefined
          ? arbitraries.message(route.requestType).map(jsonText)
          : arbitraries.mutated(route.requestType, template(route)!).map(jsonText),
        fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
        fc.string({ maxLength: 40 }),
        fc.constantFrom(
          `{"a":${'['.repeat(50_000)}${']'.repeat(50_000)}}`,
          '{"namespace":',
          '{"workflowId":{"$ref":1}}',
          `{"input":{"payloads":[{"metadata":{"encoding":"anNvbi9wbGFpbg=="},"data":"${Buffer.from('['.repeat(9000)).toString('base64')}"}]}}`,
        ),
      );
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...routes)
          .chain((route) =>
            fc.tuple(
              fc.constant(route),
              fc.array(segment, { minLength: 8, maxLength: 8 }),
              json(route),
              fc.boolean(),
            ),
          ),
        async ([route, segments, body, shorthand]) => {
          let n = 0;
          const path = route.template.source.replace(/\{[^}]*\}/g, () => segments[n++ % segments.length]!);
          const query = shorthand ? '' : '?noPayloadShorthand';
          const response = await fetch(`${base}${path}${query}`, {
            method: route.verb,
            headers: { 'content-type': 'application/json', 'grpc-timeout': `${CALL_TIMEOUT_MS}m` },
            ...(route.verb === 'GET' || route.verb === 'DELETE' ? {} : { body }),
          });
          const text = await response.text();
          const shown = `${route.verb} ${path.slice(0, 200)} → ${response.status} ${text.slice(0, 300)}`;
          assert.ok(response.status < 500 || response.status === 503 || response.status === 504, shown);
          const answer = text === '' ? {} : (JSON.parse(text) as { code?: number });
          assert.notEqual(answer.code, INTERNAL, shown);
          assert.notEqual(answer.code, UNKNOWN, shown);
        },
      ),
      runs(400, 2626),
    );
  });

  test('afterwards the server serves and nothing acknowledged before the fuzz is lost', async () => {
    assert.equal(raw.closed, false, 'the fuzzing connection is still open');
    const health = new TemporalGrpcClient(server.address, HEALTH_SERVICE);
    try {
      assert.equal((await health.call('Check', { service: '' })).status, 1 /* SERVING */);
    } finally {
      health.close();
    }
    await client.call('GetSystemInfo', {});
    for (const workflowId of kept) {
      const described = await client.call('DescribeWorkflowExecution', {
        namespace: KEPT_NAMESPACE,
        execution: { workflowId },
      });
      const info = described.workflowExecutionInfo as { status: number };
      assert.equal(info.status, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, workflowId);
    }
    // Complete both through the task queue, as a worker would.
    for (let done = 0; done < kept.length; ) {
      const task = await client.call('PollWorkflowTaskQueue', {
        namespace: KEPT_NAMESPACE,
        taskQueue: { name: keptQueue },
        identity: 'after-fuzz',
      });
      if (!task.taskToken || (task.taskToken as Uint8Array).length === 0) continue;
      await client.call('RespondWorkflowTaskCompleted', {
        namespace: KEPT_NAMESPACE,
        taskToken: task.taskToken,
        identity: 'after-fuzz',
        commands: [
          {
            commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
            completeWorkflowExecutionCommandAttributes: { result: payloads('done') },
          },
        ],
      });
      done++;
    }
    for (const workflowId of kept) {
      const history = await client.call('GetWorkflowExecutionHistory', {
        namespace: KEPT_NAMESPACE,
        execution: { workflowId },
      });
      const types = (history.history as { events: { eventType: number }[] }).events.map((e) => e.eventType);
      assert.equal(types.at(-1), EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, workflowId);
      assert.equal(
        types.includes(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
        workflowId === 'kept-1',
        `${workflowId}: the signal acknowledged before the fuzz is in its history`,
      );
    }
  });
});

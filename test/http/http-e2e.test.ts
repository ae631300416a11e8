// Temporal's HTTP API end to end: a real dev server, a real @odin/sdk worker, and plain fetch.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Connection, Worker } from '@odin/sdk';
import { startDevServer } from '@odin/server';
import * as workflows from './workflows.js';

const taskQueue = 'http-e2e';
let server: Awaited<ReturnType<typeof startDevServer>>;
let connection: Connection;
let worker: Worker;
let running: Promise<void>;
let base: string;
let seq = 0;
const id = (name: string) => `${name}-${process.pid}-${++seq}`;

before(async () => {
  server = await startDevServer({ port: 0, httpPort: 0 });
  base = `http://127.0.0.1:${server.httpPort}/api/v1/namespaces/default`;
  connection = Connection.connect({ address: server.address });
  worker = await Worker.create({
    connection,
    taskQueue,
    workflows,
    activities: { greet: async (name: string) => `Hello, ${name}!` },
    shutdownGraceMs: 1000,
  });
  running = worker.run();
});

after(async () => {
  worker.shutdown();
  await running;
  connection.close();
  await server.stop();
});

type Json = Record<string, unknown>;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  return { status: response.status, json: (await response.json()) as Json };
}

async function ok(method: string, path: string, body?: unknown): Promise<Json> {
  const { status, json } = await call(method, path, body);
  assert.equal(status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}

async function startGreeting(workflowId: string, name: string): Promise<string> {
  const started = await ok('POST', `/workflows/${encodeURIComponent(workflowId)}`, {
    workflowType: { name: 'httpGreeting' },
    taskQueue: { name: taskQueue },
    input: [name],
    workflowRunTimeout: '60s',
    requestId: `${workflowId}-start`,
  });
  assert.equal(typeof started.runId, 'string');
  return started.runId as string;
}

async function eventually<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function fullHistory(workflowId: string, runId: string, pageSize: number) {
  const events: Json[] = [];
  const tokens: string[] = [];
  let token = '';
  do {
    const page = await ok(
      'GET',
      `/workflows/${workflowId}/history?execution.runId=${runId}&maximumPageSize=${pageSize}` +
        (token ? `&nextPageToken=${encodeURIComponent(token)}` : ''),
    );
    events.push(...((page.history as { events?: Json[] }).events ?? []));
    token = (page.nextPageToken as string | undefined) ?? '';
    if (token) tokens.push(token);
  } while (token);
  return { events, tokens };
}

describe('HTTP API on a dev server', () => {
  test('start, query, describe, list, signal, result and history paging', async () => {
    const workflowId = id('greet');
    const runId = await startGreeting(workflowId, 'Ada');

    const query = await eventually(async () => {
      const { status, json } = await call('POST', `/workflows/${workflowId}/query/status`, {
        execution: { runId },
        query: { queryArgs: [] },
      });
      return status === 200 ? json : undefined;
    }, 'the worker to answer the query');
    assert.deepEqual(query.queryResult, ['waiting for Ada']);

    const described = await ok('GET', `/workflows/${workflowId}?execution.runId=${runId}`);
    const info = described.workflowExecutionInfo as Json;
    assert.equal(info.status, 'WORKFLOW_EXECUTION_STATUS_RUNNING');
    assert.match(info.startTime as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    assert.match(info.historyLength as string, /^\d+$/, 'int64 is a JSON string');
    assert.equal((described.executionConfig as Json).workflowRunTimeout, '60s');

    const listed = await ok('GET', `/workflows?query=${encodeURIComponent(`WorkflowId = '${workflowId}'`)}`);
    const executions = listed.executions as Json[];
    assert.equal(executions.length, 1);
    assert.deepEqual(executions[0]!.execution, { workflowId, runId });
    assert.equal((executions[0]!.type as Json).name, 'httpGreeting');
    const count = await ok(
      'GET',
      `/workflow-count?query=${encodeURIComponent("WorkflowType = 'httpGreeting'")}`,
    );
    assert.match(count.count as string, /^\d+$/);
    assert.ok(Number(count.count) >= 1);

    await ok('POST', `/workflows/${workflowId}/signal/approve`, {
      workflowExecution: { runId },
      input: ['signed over HTTP'],
      identity: 'http-test',
    });
    await eventually(async () => {
      const d = await ok('GET', `/workflows/${workflowId}?execution.runId=${runId}`);
      const status = (d.workflowExecutionInfo as Json).status;
      return status === 'WORKFLOW_EXECUTION_STATUS_COMPLETED' ? true : undefined;
    }, 'the workflow to complete');

    const whole = await fullHistory(workflowId, runId, 1000);
    assert.equal(whole.tokens.length, 0);
    const types = whole.events.map((e) => e.eventType);
    for (const type of [
      'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
      'EVENT_TYPE_ACTIVITY_TASK_COMPLETED',
      'EVENT_TYPE_TIMER_FIRED',
      'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED',
      'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    ]) {
      assert.ok(types.includes(type), `history has ${type}`);
    }
    const first = whole.events[0]!;
    assert.equal(first.eventId, '1');
    const startedAttrs = first.workflowExecutionStartedEventAttributes as Json;
    assert.deepEqual(startedAttrs.input, ['Ada'], 'json/plain payloads in shorthand');
    const signaled = whole.events.find((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED')!;
    assert.deepEqual((signaled.workflowExecutionSignaledEventAttributes as Json).input, ['signed over HTTP']);
    const completed = whole.events.at(-1)!.workflowExecutionCompletedEventAttributes as Json;
    assert.deepEqual(completed.result, [{ greeting: 'Hello, Ada!', note: 'signed over HTTP' }]);

    // Paged two events at a time, the next_page_token round trip gives the same events in order.
    const paged = await fullHistory(workflowId, runId, 2);
    assert.ok(paged.tokens.length >= Math.floor(whole.events.length / 2) - 1, 'several pages');
    assert.deepEqual(
      paged.events.map((e) => e.eventId),
      whole.events.map((e) => e.eventId),
    );

    // The same call without shorthand shows the standard payload form.
    const raw = await ok(
      'GET',
      `/workflows/${workflowId}/history?execution.runId=${runId}&noPayloadShorthand`,
    );
    const rawInput = (
      (raw.history as { events: Json[] }).events[0]!.workflowExecutionStartedEventAttributes as Json
    ).input as { payloads: { metadata: { encoding: string }; data: string }[] };
    assert.equal(Buffer.from(rawInput.payloads[0]!.metadata.encoding, 'base64').toString(), 'json/plain');
    assert.equal(Buffer.from(rawInput.payloads[0]!.data, 'base64').toString(), '"Ada"');
  });

  test('terminate, then terminating again is NOT_FOUND (404)', async () => {
    const workflowId = id('terminate');
    const runId = await startGreeting(workflowId, 'Bo');
    await ok('POST', `/workflows/${workflowId}/terminate`, {
      workflowExecution: { runId },
      reason: 'stopped over HTTP',
      identity: 'http-test',
    });
    const described = await ok('GET', `/workflows/${workflowId}?execution.runId=${runId}`);
    assert.equal((described.workflowExecutionInfo as Json).status, 'WORKFLOW_EXECUTION_STATUS_TERMINATED');
    const { events } = await fullHistory(workflowId, runId, 100);
    const last = events.at(-1)!;
    assert.equal(last.eventType, 'EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED');
    assert.equal((last.workflowExecutionTerminatedEventAttributes as Json).reason, 'stopped over HTTP');
    const again = await call('POST', `/workflows/${workflowId}/terminate`, { workflowExecution: { runId } });
    assert.equal(again.status, 404);
    assert.equal(again.json.code, 5);
  });

  test('a second start of a running id is 409 ALREADY_EXISTS with its detail', async () => {
    const workflowId = id('dup');
    const runId = await startGreeting(workflowId, 'Cy');
    const { status, json } = await call('POST', `/workflows/${workflowId}`, {
      workflowType: { name: 'httpGreeting' },
      taskQueue: { name: taskQueue },
      requestId: 'another-request',
    });
    assert.equal(status, 409);
    assert.equal(json.code, 6);
    const detail = (json.details as Json[])[0]!;
    assert.equal(
      detail['@type'],
      'type.googleapis.com/temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
    );
    assert.equal(detail.runId, runId);
    await ok('POST', `/workflows/${workflowId}/terminate`, { workflowExecution: { runId } });
  });

  test('unknown routes are 404 and malformed JSON is 400, both with a Status body', async () => {
    const missing = await call('GET', '/no-such-thing');
    assert.equal(missing.status, 404);
    assert.equal(missing.json.code, 5);
    const response = await fetch(`${base}/workflows/bad-json`, { method: 'POST', body: '{"workflowType":' });
    assert.equal(response.status, 400);
    const body = (await response.json()) as Json;
    assert.equal(body.code, 3);
    assert.match(body.message as string, /not valid JSON/);
  });

  test('a visibility query Odin does not support is INVALID_ARGUMENT (400) saying what is supported', async () => {
    const { status, json } = await call(
      'GET',
      `/workflows?query=${encodeURIComponent("WorkflowId = 'a' ORDER BY StartTime")}`,
    );
    assert.equal(status, 400);
    assert.equal(json.code, 3);
  });
});

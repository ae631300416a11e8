// The HTTP API layer over a FrontendService with fake history and matching: routing, JSON mapping, errors, limits,
// CORS and the OpenAPI document, through real HTTP requests.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { protoRoot } from '@odin/api';
import { parse } from 'yaml';
import { FrontendService } from '../../src/frontend-service.js';
import { OPERATOR_SERVICE, WORKFLOW_SERVICE } from '../../src/grpc-service.js';
import { type RunningHttpServers, startHttpServers } from '../../src/http/servers.js';
import { OpenApiDocumentMissingError, readOpenApiDocument } from '../../src/http/openapi.js';
import { templateShapeOf } from '../../src/http/path-template.js';
import { type Call, fakeHistory, fakeMatching, fixture } from '../fakes.js';

const historyCalls: Call[] = [];
let servers: RunningHttpServers;
let corsServers: RunningHttpServers;
let base: string;

const b64 = (text: string) => Buffer.from(text).toString('base64');

before(async () => {
  const f = await fixture({ realTime: true });
  const frontend = new FrontendService(f.ctx, {
    history: fakeHistory(historyCalls, (method) => {
      if (method === 'startWorkflowExecution') return { runId: 'run-1', started: true };
      if (method === 'describeWorkflowExecution') {
        return {
          workflowExecutionInfo: {
            execution: { workflowId: 'wf-1', runId: 'run-1' },
            type: { name: 'Greet' },
            startTime: { seconds: 1_700_000_000, nanos: 5_000_000 },
            status: 1,
            historyLength: 12,
            memo: {
              fields: {
                plain: {
                  metadata: { encoding: Buffer.from('json/plain') },
                  data: Buffer.from('{"a":[1,2]}'),
                },
                raw: { metadata: { encoding: Buffer.from('binary/plain') }, data: Buffer.from([1, 2, 3]) },
              },
            },
          },
          executionConfig: { workflowRunTimeout: { seconds: 90, nanos: 500_000_000 } },
        };
      }
      return {};
    }),
    matching: fakeMatching([]),
  });
  servers = await startHttpServers(frontend, { host: '127.0.0.1', httpPort: 0, maxBodyBytes: 64 * 1024 });
  corsServers = await startHttpServers(frontend, {
    host: '127.0.0.1',
    httpPort: 0,
    corsOrigins: ['http://app.example'],
  });
  base = `http://127.0.0.1:${servers.httpPort}`;
});

after(async () => {
  await servers.stop();
  await corsServers.stop();
});

async function json(response: Response): Promise<Record<string, unknown>> {
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  return (await response.json()) as Record<string, unknown>;
}

describe('routes', () => {
  test('every google.api.http binding of both services is a route, and nothing else', () => {
    let bindings = 0;
    for (const name of [WORKFLOW_SERVICE, OPERATOR_SERVICE]) {
      for (const method of protoRoot.lookupService(name).methodsArray) {
        for (const option of method.parsedOptions ?? []) {
          const rule = (option as Record<string, { additional_bindings?: unknown }>)['(google.api.http)'];
          if (!rule) continue;
          const extra = rule.additional_bindings;
          bindings += 1 + (Array.isArray(extra) ? extra.length : extra ? 1 : 0);
        }
      }
    }
    assert.ok(bindings > 150, `expected Temporal's annotations, found ${bindings}`);
    assert.equal(servers.api.routes.length, bindings);
  });

  test('a literal segment wins over a variable (execute-multi-operation is not a workflow id)', () => {
    const index = (method: string) => servers.api.routes.findIndex((r) => r.method === method);
    assert.ok(index('ExecuteMultiOperation') < index('StartWorkflowExecution'));
  });
});

describe('requests', () => {
  test('a POST body, path variables and payload shorthand reach the handler as the gRPC request would', async () => {
    historyCalls.length = 0;
    const response = await fetch(`${base}/api/v1/namespaces/default/workflows/wf%2F1`, {
      method: 'POST',
      body: JSON.stringify({
        workflowType: { name: 'Greet' },
        taskQueue: { name: 'q' },
        input: ['hello', { n: 1 }, null],
        workflowRunTimeout: '1.5s',
        workflowIdReusePolicy: 'WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE',
        memo: { fields: { note: { metadata: { encoding: b64('json/plain') }, data: b64('"std"') } } },
      }),
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await json(response), { runId: 'run-1', started: true });
    const req = historyCalls.find((c) => c.method === 'startWorkflowExecution')!.req as {
      workflowId: string;
      input: { payloads: { metadata: Record<string, Uint8Array>; data: Uint8Array }[] };
      workflowRunTimeout: { seconds: { toNumber(): number }; nanos: number };
      workflowIdReusePolicy: number;
      memo: { fields: Record<string, { data: Uint8Array }> };
    };
    assert.equal(req.workflowId, 'wf/1');
    const payloads = req.input.payloads;
    assert.equal(Buffer.from(payloads[0]!.metadata.encoding!).toString(), 'json/plain');
    assert.equal(Buffer.from(payloads[0]!.data).toString(), '"hello"');
    assert.equal(Buffer.from(payloads[1]!.data).toString(), '{"n":1}');
    assert.equal(Buffer.from(payloads[2]!.metadata.encoding!).toString(), 'binary/null');
    assert.equal(req.workflowRunTimeout.seconds.toNumber(), 1);
    assert.equal(req.workflowRunTimeout.nanos, 500_000_000);
    assert.equal(req.workflowIdReusePolicy, 3);
    assert.equal(Buffer.from(req.memo.fields.note!.data).toString(), '"std"');
  });

  test('GET binds query parameters by JSON or proto name; the answer uses proto3 JSON forms', async () => {
    historyCalls.length = 0;
    const response = await fetch(
      `${base}/api/v1/namespaces/default/workflows/wf-1?execution.run_id=6f1c1b3e-8d2a-4c1e-9a65-2f4c1b2d3e4f&pretty`,
    );
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /\n {2}"executionConfig"/, 'pretty output is indented');
    const body = JSON.parse(text);
    const info = body.workflowExecutionInfo;
    assert.equal(info.startTime, '2023-11-14T22:13:20.005Z');
    assert.equal(info.status, 'WORKFLOW_EXECUTION_STATUS_RUNNING');
    assert.equal(info.historyLength, '12');
    assert.deepEqual(info.memo.fields.plain, { a: [1, 2] });
    assert.deepEqual(info.memo.fields.raw, { metadata: { encoding: b64('binary/plain') }, data: 'AQID' });
    assert.equal(body.executionConfig.workflowRunTimeout, '90.500s');
    const req = historyCalls[0]!.req as { execution: { workflowId: string; runId: string } };
    assert.deepEqual(
      { ...req.execution },
      { workflowId: 'wf-1', runId: '6f1c1b3e-8d2a-4c1e-9a65-2f4c1b2d3e4f' },
    );
  });

  test('?noPayloadShorthand answers payloads in the standard form', async () => {
    const body = await json(
      await fetch(`${base}/api/v1/namespaces/default/workflows/wf-1?noPayloadShorthand`),
    );
    const memo = (body.workflowExecutionInfo as { memo: { fields: Record<string, unknown> } }).memo;
    assert.deepEqual(memo.fields.plain, {
      metadata: { encoding: b64('json/plain') },
      data: b64('{"a":[1,2]}'),
    });
  });
});

describe('errors', () => {
  test('an unknown route is 404 with a google.rpc.Status body', async () => {
    const response = await fetch(`${base}/api/v1/nothing-here`);
    assert.equal(response.status, 404);
    assert.deepEqual(await json(response), {
      code: 5,
      message: 'No HTTP API route for GET /api/v1/nothing-here.',
      details: [],
    });
  });

  test('a known path with another verb is 405, naming the verbs it takes', async () => {
    const response = await fetch(`${base}/api/v1/namespaces/default/workflows/wf-1/terminate`);
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'POST');
    assert.equal((await json(response)).code, 12);
  });

  test('malformed JSON is 400 naming the problem', async () => {
    const response = await fetch(`${base}/api/v1/namespaces/default/workflows/wf-2`, {
      method: 'POST',
      body: '{"a":',
    });
    assert.equal(response.status, 400);
    const body = await json(response);
    assert.equal(body.code, 3);
    assert.match(String(body.message), /^The request body is not valid JSON: /);
  });

  test('JSON that does not fit the message is 400 naming the field', async () => {
    for (const [body, pattern] of [
      [{ nope: 1 }, /unknown field: "nope"/],
      [{ workflowRunTimeout: 'soon' }, /Duration: invalid duration: "soon"/],
      [{ workflowIdReusePolicy: 'SOMETIMES' }, /workflowIdReusePolicy: unknown enum value/],
    ] as const) {
      const response = await fetch(`${base}/api/v1/namespaces/default/workflows/wf-2`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      assert.equal(response.status, 400);
      const status = await json(response);
      assert.match(String(status.message), /^Invalid StartWorkflowExecutionRequest JSON: /);
      assert.match(String(status.message), pattern);
    }
  });

  test('validation is the gRPC validation: a start without a workflow type is INVALID_ARGUMENT (400)', async () => {
    const response = await fetch(`${base}/api/v1/namespaces/default/workflows/wf-3`, {
      method: 'POST',
      body: JSON.stringify({ taskQueue: { name: 'q' } }),
    });
    assert.equal(response.status, 400);
    assert.match(String((await json(response)).message), /WorkflowType/);
  });

  test('an unknown namespace is 404 with the NamespaceNotFoundFailure detail as an Any', async () => {
    const response = await fetch(`${base}/api/v1/namespaces/missing/workflows`);
    assert.equal(response.status, 404);
    assert.deepEqual(await json(response), {
      code: 5,
      message: 'Namespace missing is not found.',
      details: [
        {
          '@type': 'type.googleapis.com/temporal.api.errordetails.v1.NamespaceNotFoundFailure',
          namespace: 'missing',
        },
      ],
    });
  });

  test('a method Odin does not implement yet is 501 UNIMPLEMENTED, as over gRPC', async () => {
    const response = await fetch(`${base}/api/v1/namespaces/default/worker-deployments`);
    assert.equal(response.status, 501);
    assert.deepEqual(await json(response), {
      code: 12,
      message: 'ListWorkerDeployments is not implemented by Odin yet.',
      details: [],
    });
  });

  test('the archive list is 400 FAILED_PRECONDITION: Odin has no archival, as Temporal without it', async () => {
    const response = await fetch(`${base}/api/v1/namespaces/default/archived-workflows`);
    assert.equal(response.status, 400);
    assert.deepEqual(await json(response), {
      code: 9,
      message: 'Cluster is not configured for visibility archival.',
      details: [],
    });
  });
});

describe('body size limit', () => {
  test('a body declared larger than the limit is 413 before it is read', async () => {
    const response = await fetch(`${base}/api/v1/namespaces/default/workflows/wf-big`, {
      method: 'POST',
      body: JSON.stringify({ workflowType: { name: 'x'.repeat(100 * 1024) } }),
    });
    assert.equal(response.status, 413);
    const body = await json(response);
    assert.equal(body.code, 8);
    assert.match(String(body.message), /larger than the limit of 65536 bytes/);
  });

  test('a chunked body is cut off once it grows past the limit', async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        `${base}/api/v1/namespaces/default/workflows/wf-chunked`,
        { method: 'POST' },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      // No Content-Length: node sends chunks; the server sees the size only as they come.
      for (let i = 0; i < 10; i++) req.write('x'.repeat(16 * 1024));
      req.end();
    });
    assert.equal(status, 413);
    assert.match(body, /larger than the limit/);
  });
});

describe('CORS', () => {
  test('off by default: no CORS headers', async () => {
    const response = await fetch(`${base}/api/v1/system-info`, { headers: { origin: 'http://app.example' } });
    assert.equal(response.headers.get('access-control-allow-origin'), null);
  });

  test('an allowed origin gets CORS headers and its preflight is answered', async () => {
    const corsBase = `http://127.0.0.1:${corsServers.httpPort}`;
    const preflight = await fetch(`${corsBase}/api/v1/namespaces/default/workflows/wf-1/terminate`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://app.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://app.example');
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    const other = await fetch(`${corsBase}/api/v1/system-info`, {
      headers: { origin: 'http://evil.example' },
    });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });
});

describe('OpenAPI', () => {
  // The document is built after `tsc -b` (scripts/build-openapi.mjs) and served from dist/openapi.yaml.
  test("/openapi.yaml is Temporal's document reduced to the implemented routes, and lists every one of them", async () => {
    const response = await fetch(`${base}/openapi.yaml`);
    assert.equal(response.status, 200);
    const document = parse(await response.text()) as {
      openapi: string;
      paths: Record<string, Record<string, { operationId: string }>>;
      components: { schemas: Record<string, unknown> };
    };
    assert.match(document.openapi, /^3\./);
    const listed = new Set<string>();
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [verb, operation] of Object.entries(operations)) {
        listed.add(`${verb.toUpperCase()} ${templateShapeOf(path)} ${operation.operationId}`);
      }
    }
    const implemented = servers.api.implementedRoutes();
    assert.ok(implemented.length >= 30, `expected many implemented routes, got ${implemented.length}`);
    for (const route of implemented) {
      const key = `${route.verb} ${templateShapeOf(route.template.source)} ${route.method}`;
      assert.ok(
        listed.has(key),
        `${key} is missing from /openapi.yaml (built from dist/: npx tsc -b && node services/frontend/scripts/build-openapi.mjs)`,
      );
    }
    assert.equal(listed.size, implemented.length, 'the document lists only implemented routes');
    assert.ok(document.components.schemas.StartWorkflowExecutionRequest);
    assert.equal(document.components.schemas.ListArchivedWorkflowExecutionsRequest, undefined);
  });

  test('a document that was not built is an error saying how to build it', async () => {
    await assert.rejects(
      readOpenApiDocument('/nonexistent/openapi.yaml'),
      (error: unknown) =>
        error instanceof OpenApiDocumentMissingError && /build-openapi\.mjs/.test(error.message),
    );
  });
});

// Tracing on the split cluster: frontend, history and matching each in its own process with
// HUGO_ORCHESTRATOR_OTLP_ENDPOINT pointing at an OTLP/HTTP receiver run by this test. One StartWorkflowExecution must
// arrive as one trace: the client's span → the frontend's server span → history's server span (with its commit as a
// child) → matching's AddWorkflowTask (with its backlog write as a child), each exported by its own process, with
// the workflow's attributes.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { TemporalGrpcClient } from '@odin/frontend';
import protobuf from 'protobufjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '..', '..', '..');
const LIMIT = { timeout: 240_000 };

// The OTLP trace messages this test reads, field numbers as opentelemetry-proto defines them: decoding with our own
// schema (not the exporter's serializer) checks what really went over the wire.
const OTLP = protobuf
  .parse(`
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
message Resource { repeated KeyValue attributes = 1; }
message ScopeSpans { Scope scope = 1; repeated Span spans = 2; }
message Scope { string name = 1; string version = 2; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; int32 kind = 6;
  repeated KeyValue attributes = 9; repeated Link links = 13;
}
message Link { bytes trace_id = 1; bytes span_id = 2; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; } }
`)
  .root.lookupType('otlp.ExportTraceServiceRequest');

interface ReceivedSpan {
  readonly service: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, string | number | boolean>;
  readonly links: { traceId: string; spanId: string }[];
}

type KeyValue = { key: string; value?: Record<string, unknown> };
const hex = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? []).toString('hex');

function attributesOf(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    // int64 arrives as a decimal string (toObject with longs: String); every id here fits a number.
    if (value?.intValue !== undefined) out[key] = Number(value.intValue);
    else
      out[key] = (value?.stringValue ?? value?.boolValue ?? value?.doubleValue) as string | number | boolean;
  }
  return out;
}

/** An OTLP/HTTP receiver: POST /v1/traces with protobuf bodies, every span kept. */
async function startReceiver(): Promise<{ port: number; spans: ReceivedSpan[]; close(): Promise<void> }> {
  const spans: ReceivedSpan[] = [];
  const server: Server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      assert.equal(req.headers['content-type'], 'application/x-protobuf');
      const request = OTLP.toObject(OTLP.decode(body), { longs: String }) as {
        resourceSpans?: {
          resource?: { attributes?: KeyValue[] };
          scopeSpans?: { spans?: Record<string, never>[] }[];
        }[];
      };
      for (const resourceSpans of request.resourceSpans ?? []) {
        const service = String(attributesOf(resourceSpans.resource?.attributes)['service.name']);
        for (const scope of resourceSpans.scopeSpans ?? []) {
          for (const span of scope.spans ?? []) {
            const s = span as unknown as {
              traceId: Uint8Array;
              spanId: Uint8Array;
              parentSpanId?: Uint8Array;
              name: string;
              kind?: number;
              attributes?: KeyValue[];
              links?: { traceId: Uint8Array; spanId: Uint8Array }[];
            };
            spans.push({
              service,
              traceId: hex(s.traceId),
              spanId: hex(s.spanId),
              parentSpanId: hex(s.parentSpanId),
              name: s.name,
              kind: s.kind ?? 0,
              attributes: attributesOf(s.attributes),
              links: (s.links ?? []).map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId) })),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface Member {
  readonly child: ChildProcess;
  /** What the process printed once ready: its frontend address and how many OpenTelemetry SDK modules it loaded. */
  readonly ready: { address?: string; otelSdkModules: number };
  output(): string;
  stop(): Promise<void>;
}

/** One cluster member process (test/fixtures/role-process.ts); resolves once it serves. */
function spawnMember(roles: string, env: Record<string, string>): Promise<Member> {
  const child = spawn(
    process.execPath,
    ['--conditions=@odin/source', '--import', 'tsx', join(here, 'fixtures', 'role-process.ts'), roles],
    { cwd: repo, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const member = {
    child,
    ready: { otelSdkModules: -1 },
    output: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const line = /^ready (.*)$/m.exec(output);
      if (line) resolve({ ...member, ready: JSON.parse(line[1] ?? '{}') as Member['ready'] });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`${roles} exited (${code}) before it was ready:\n${output}`)),
    );
  });
}

async function eventually<T>(what: string, attempt: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`${what} did not succeed in ${timeoutMs} ms`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

const FRONTEND_START = 'temporal.api.workflowservice.v1.WorkflowService/StartWorkflowExecution';
const HISTORY_START = 'odin.history.v1.HistoryService/StartWorkflowExecution';
const MATCHING_ADD = 'odin.matching.v1.MatchingService/AddWorkflowTask';
const COMMIT = 'persistence.commitShardBatch';
const SERVER = 2; // SPAN_KIND_SERVER

describe('tracing across the split cluster', () => {
  let dir: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const members: Member[] = [];
  let frontend: TemporalGrpcClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'odin-tracing-'));
    receiver = await startReceiver();
    const env = {
      HUGO_ORCHESTRATOR_DB_CONNECTION: `sqlite:${join(dir, 'cluster.db')}`,
      HUGO_ORCHESTRATOR_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.port}`,
      HUGO_ORCHESTRATOR_SHARD_COUNT: '4',
      HUGO_ORCHESTRATOR_HISTORY_PORT: '0',
      HUGO_ORCHESTRATOR_MATCHING_PORT: '0',
      // Port 0 everywhere, each process reporting what it bound: a port probed free and bound later can be taken in
      // between by any socket of the machine's other tests (a connection's local port among them).
      HUGO_ORCHESTRATOR_FRONTEND_PORT: '0',
      HUGO_ORCHESTRATOR_MEMBERSHIP_HEARTBEAT_INTERVAL_MS: '200',
      HUGO_ORCHESTRATOR_MEMBERSHIP_TTL_MS: '3000',
      HUGO_ORCHESTRATOR_LOG_LEVEL: 'warn',
    };
    // One at a time: the first migrates the database, history takes its shards before anyone calls it.
    for (const [roles, hostId] of [
      ['history', 'history-1'],
      ['matching', 'matching-1'],
      ['frontend', 'frontend-1'],
    ] as const) {
      members.push(await spawnMember(roles, { ...env, HUGO_ORCHESTRATOR_HOST_ID: hostId }));
    }
    const address = members.at(-1)?.ready.address;
    assert.ok(address, 'the frontend member reported its address');
    frontend = new TemporalGrpcClient(address);
  });

  after(async () => {
    frontend?.close();
    await Promise.all(members.map((m) => m.stop()));
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Waits until the receiver holds a span matching `predicate` (exports are batched, about once a second). */
  async function spanWhere(what: string, predicate: (span: ReceivedSpan) => boolean): Promise<ReceivedSpan> {
    return eventually(what, async () => {
      const found = receiver.spans.find(predicate);
      if (!found) throw new Error(`no ${what} among ${receiver.spans.length} spans`);
      return found;
    });
  }

  test('one StartWorkflowExecution is one trace across frontend, history and matching', LIMIT, async () => {
    const traceId = randomBytes(16).toString('hex');
    const clientSpanId = randomBytes(8).toString('hex');
    const workflowId = `traced-${randomUUID()}`;
    const taskQueue = `traced-queue-${randomUUID()}`;
    const started = await eventually('StartWorkflowExecution', () =>
      frontend.call(
        'StartWorkflowExecution',
        {
          namespace: 'default',
          workflowId,
          workflowType: { name: 'TracedWorkflow' },
          taskQueue: { name: taskQueue },
          requestId: randomUUID(),
        },
        { metadata: { traceparent: `00-${traceId}-${clientSpanId}-01` } },
      ),
    );
    const runId = String(started.runId);

    const inTrace = (name: string) => (span: ReceivedSpan) =>
      span.traceId === traceId && span.name === name && span.attributes['rpc.grpc.status_code'] === 0;
    const front = await spanWhere('the frontend span', inTrace(FRONTEND_START));
    assert.equal(front.service, 'odin-frontend');
    assert.equal(front.kind, SERVER);
    assert.equal(front.parentSpanId, clientSpanId, "the client's span is the frontend span's parent");
    assert.equal(front.attributes['workflow.namespace'], 'default');
    assert.equal(front.attributes['workflow.id'], workflowId);
    assert.equal(front.attributes['workflow.type'], 'TracedWorkflow');
    assert.equal(front.attributes['workflow.task_queue'], taskQueue);
    assert.equal(front.attributes['workflow.run_id'], runId);

    const history = await spanWhere(
      'the history span',
      (span) => inTrace(HISTORY_START)(span) && span.parentSpanId === front.spanId,
    );
    assert.equal(history.service, 'odin-history', 'exported by the history process');
    assert.equal(history.kind, SERVER);
    assert.equal(history.attributes['workflow.id'], workflowId);
    assert.equal(history.attributes['workflow.type'], 'TracedWorkflow');
    assert.equal(history.attributes['workflow.task_queue'], taskQueue);
    assert.equal(history.attributes['workflow.run_id'], runId);
    const shardId = history.attributes['history.shard_id'];
    assert.ok(typeof shardId === 'number' && shardId >= 1 && shardId <= 4, `shard id ${shardId}`);

    const commit = await spanWhere(
      'the commit span',
      (span) => span.name === COMMIT && span.traceId === traceId && span.parentSpanId === history.spanId,
    );
    assert.equal(commit.service, 'odin-history');
    assert.equal(commit.attributes['history.shard_id'], shardId);

    const matching = await spanWhere(
      'the matching span',
      (span) => inTrace(MATCHING_ADD)(span) && span.parentSpanId === history.spanId,
    );
    assert.equal(matching.service, 'odin-matching', 'exported by the matching process');
    assert.equal(matching.attributes['workflow.id'], workflowId);
    assert.equal(matching.attributes['workflow.run_id'], runId);
    assert.equal(matching.attributes['workflow.task_queue'], taskQueue);
    assert.equal(matching.attributes['workflow.namespace'], 'default');

    // No worker polls that queue: matching persists the task to its backlog, within the same trace.
    const backlog = await spanWhere(
      'the backlog write span',
      (span) =>
        span.name === 'persistence.matching.createTasks' &&
        span.traceId === traceId &&
        span.parentSpanId === matching.spanId,
    );
    assert.equal(backlog.service, 'odin-matching');
    assert.equal(backlog.attributes['workflow.task_queue'], taskQueue);
  });

  test('the OpenTelemetry SDK is loaded where an OTLP endpoint is set, and nowhere else', LIMIT, async () => {
    for (const member of members) assert.ok(member.ready.otelSdkModules > 0, member.output());
    const untraced = await spawnMember('frontend,history,matching,worker', {
      HUGO_ORCHESTRATOR_DB_CONNECTION: `sqlite:${join(dir, 'untraced.db')}`,
      HUGO_ORCHESTRATOR_SHARD_COUNT: '1',
      HUGO_ORCHESTRATOR_FRONTEND_PORT: '0',
      HUGO_ORCHESTRATOR_HISTORY_PORT: '0',
      HUGO_ORCHESTRATOR_MATCHING_PORT: '0',
      HUGO_ORCHESTRATOR_HTTP_PORT: '0',
      HUGO_ORCHESTRATOR_LOG_LEVEL: 'warn',
    });
    try {
      assert.equal(untraced.ready.otelSdkModules, 0);
    } finally {
      await untraced.stop();
    }
  });

  test(
    "a start carrying the SDK interceptor's _tracer-data header joins the client's trace",
    LIMIT,
    async () => {
      const traceId = randomBytes(16).toString('hex');
      const clientSpanId = randomBytes(8).toString('hex');
      const workflowId = `traced-header-${randomUUID()}`;
      const carrier = JSON.stringify({ traceparent: `00-${traceId}-${clientSpanId}-01` });
      await eventually('StartWorkflowExecution', () =>
        frontend.call('StartWorkflowExecution', {
          namespace: 'default',
          workflowId,
          workflowType: { name: 'TracedWorkflow' },
          taskQueue: { name: 'traced-header-queue' },
          requestId: randomUUID(),
          header: {
            fields: {
              '_tracer-data': {
                metadata: { encoding: Buffer.from('json/plain') },
                data: Buffer.from(carrier),
              },
            },
          },
        }),
      );
      const front = await spanWhere(
        'the frontend span',
        (span) => span.traceId === traceId && span.name === FRONTEND_START,
      );
      assert.equal(front.parentSpanId, clientSpanId);
      assert.equal(front.attributes['workflow.id'], workflowId);
      await spanWhere('the history span', (span) => span.traceId === traceId && span.name === HISTORY_START);
    },
  );
});

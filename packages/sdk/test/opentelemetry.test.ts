// OpenTelemetry through interceptors: one trace from the client through the workflow to its activities, a local
// activity and a child workflow, joined with the official SDK 1.24's interceptors (their client starting our
// workflow; their activity interceptor running an activity our workflow scheduled) through `_tracer-data`.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { Client, Connection as OfficialConnection } from '@temporalio/client';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor as OfficialClientInterceptor,
} from '@temporalio/interceptors-opentelemetry';
import { DefaultLogger, NativeConnection, Runtime, Worker as OfficialWorker } from '@temporalio/worker';
import { startDevServer } from '@odin/server';
import { Connection, WorkflowClient } from '../src/client/index.js';
import {
  OpenTelemetryWorkflowClientInterceptor,
  openTelemetryActivityInterceptors,
  openTelemetryWorkflowInterceptors,
} from '../src/interceptors/opentelemetry.js';
import { replayHistory } from '../src/replay.js';
import { Worker } from '../src/worker/index.js';
import * as traced from './workflows/traced.js';

const exporter = new InMemorySpanExporter();
const processor = new SimpleSpanProcessor(exporter);
const provider = new BasicTracerProvider({ spanProcessors: [processor] });
const workflowInterceptors = [openTelemetryWorkflowInterceptors({ spans: processor as never })];

let server: Awaited<ReturnType<typeof startDevServer>>;
let connection: Connection;
let client: WorkflowClient;
let worker: Worker;
let running: Promise<void>;
let nativeConnection: NativeConnection;
let officialWorker: OfficialWorker;
let officialRunning: Promise<void>;
let officialConnection: OfficialConnection;

before(async () => {
  // What NodeSDK sets up: the official interceptors find their parent span through the active context.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  Runtime.install({ logger: new DefaultLogger('WARN') });
  server = await startDevServer({ port: 0 });
  connection = Connection.connect({ address: server.address });
  client = new WorkflowClient({ connection, interceptors: [new OpenTelemetryWorkflowClientInterceptor()] });
  worker = await Worker.create({
    connection,
    taskQueue: 'otel',
    workflows: traced,
    activities: { greet: async (name: string) => `Hello, ${name}!` },
    // Every task replays the run from the start: spans must come out once, with the same ids.
    maxCachedWorkflows: 0,
    interceptors: { workflow: workflowInterceptors, activity: [openTelemetryActivityInterceptors()] },
  });
  running = worker.run();
  nativeConnection = await NativeConnection.connect({ address: server.address });
  officialWorker = await OfficialWorker.create({
    connection: nativeConnection,
    taskQueue: 'otel-official',
    activities: { officialGreet: async (name: string) => `Hi, ${name}!` },
    interceptors: { activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx) })] },
  });
  officialRunning = officialWorker.run();
  officialConnection = await OfficialConnection.connect({ address: server.address });
});

after(async () => {
  worker.shutdown();
  officialWorker.shutdown();
  await Promise.all([running, officialRunning]);
  connection.close();
  await nativeConnection.close();
  await officialConnection.close();
  await server.stop();
  await provider.shutdown();
});

function spansOf(traceId: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
}

function one(spans: ReadableSpan[], name: string, index = 0): ReadableSpan {
  const found = spans.filter((s) => s.name === name);
  assert.ok(found[index], `span ${name} #${index} in ${spans.map((s) => s.name).join(', ')}`);
  return found[index]!;
}

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId ?? (span as unknown as { parentSpanId?: string }).parentSpanId;
}

async function settledSpans(traceId: string, count: number): Promise<ReadableSpan[]> {
  for (let i = 0; i < 100 && spansOf(traceId).length < count; i++) {
    await processor.forceFlush();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return spansOf(traceId);
}

describe('OpenTelemetry interceptors', () => {
  test('one trace spans client → workflow → activity, local activity, child workflow and an official activity', async () => {
    const workflowId = `traced-${process.pid}`;
    const result = await client.execute(traced.traced, { workflowId, taskQueue: 'otel', args: ['Ada'] });
    assert.deepEqual(result, ['Hello, Ada!', 'Hello, Ada!', 'Hello, child Ada!', 'Hi, Ada!']);
    const start = exporter.getFinishedSpans().find((s) => s.name === 'StartWorkflow:traced')!;
    assert.ok(start, 'the client span');
    const spans = await settledSpans(start.spanContext().traceId, 14);
    const names = spans.map((s) => s.name).sort();
    assert.deepEqual(names, [
      'RunActivity:greet',
      'RunActivity:greet',
      'RunActivity:greet',
      'RunActivity:officialGreet',
      'RunWorkflow:traced',
      'RunWorkflow:tracedChild',
      'StartActivity:greet',
      'StartActivity:greet',
      'StartActivity:greet',
      'StartActivity:officialGreet',
      'StartChildWorkflow:tracedChild',
      'StartWorkflow:traced',
    ]);
    const run = one(spans, 'RunWorkflow:traced');
    assert.equal(parentOf(run), start.spanContext().spanId);
    const startActivities = spans.filter(
      (s) => s.name === 'StartActivity:greet' && parentOf(s) === run.spanContext().spanId,
    );
    assert.equal(startActivities.length, 2, 'the activity and the local activity, children of RunWorkflow');
    for (const scheduled of startActivities) {
      const ran = spans.find(
        (s) => s.name === 'RunActivity:greet' && parentOf(s) === scheduled.spanContext().spanId,
      );
      assert.ok(ran, 'each RunActivity is the child of its StartActivity');
      assert.equal(ran.attributes['activity.type'], 'greet');
      assert.ok(ran.attributes['activity.id']);
      assert.equal(ran.attributes['workflow.id'], workflowId);
    }
    const startChild = one(spans, 'StartChildWorkflow:tracedChild');
    assert.equal(parentOf(startChild), run.spanContext().spanId);
    const child = one(spans, 'RunWorkflow:tracedChild');
    assert.equal(parentOf(child), startChild.spanContext().spanId);
    const childActivity = spans.find(
      (s) => s.name === 'StartActivity:greet' && parentOf(s) === child.spanContext().spanId,
    );
    assert.ok(childActivity, "the child's activity is in the trace too");
    const officialRun = one(spans, 'RunActivity:officialGreet');
    assert.equal(parentOf(officialRun), one(spans, 'StartActivity:officialGreet').spanContext().spanId);
    assert.equal(
      officialRun.attributes['temporalWorkflowId'] ?? officialRun.attributes['workflowId'],
      workflowId,
    );
    assert.deepEqual(
      {
        namespace: run.attributes['workflow.namespace'],
        id: run.attributes['workflow.id'],
        type: run.attributes['workflow.type'],
        queue: run.attributes['workflow.task_queue'],
        runId: run.attributes['workflow.run_id'],
      },
      {
        namespace: 'default',
        id: workflowId,
        type: 'traced',
        queue: 'otel',
        runId: start.attributes['run_id'],
      },
    );

    // Replaying the history builds the same spans but exports none.
    const before = exporter.getFinishedSpans().length;
    const replay = await replayHistory(await client.fetchHistory(workflowId), traced, {
      workflowId,
      interceptors: workflowInterceptors,
    });
    assert.equal(replay.divergence, undefined);
    await processor.forceFlush();
    assert.equal(exporter.getFinishedSpans().length, before);
  });

  test("the official client's OpenTelemetry interceptor starts our workflow: its span parents our RunWorkflow", async () => {
    const official = new Client({
      connection: officialConnection,
      interceptors: { workflow: [new OfficialClientInterceptor()] },
    });
    const workflowId = `traced-official-${process.pid}`;
    const result = await official.workflow.execute('traced', {
      workflowId,
      taskQueue: 'otel',
      args: ['Bob'],
    });
    assert.equal(result[0], 'Hello, Bob!');
    await processor.forceFlush();
    const start = exporter
      .getFinishedSpans()
      .find(
        (s) =>
          s.name === 'StartWorkflow:traced' &&
          s.attributes['run_id'] !== undefined &&
          s.instrumentationScope.name.startsWith('@temporalio'),
      )!;
    assert.ok(start, 'the official client span');
    const spans = await settledSpans(start.spanContext().traceId, 12);
    const run = one(spans, 'RunWorkflow:traced');
    assert.equal(parentOf(run), start.spanContext().spanId);
    assert.equal(run.attributes['workflow.id'], workflowId);
  });
});

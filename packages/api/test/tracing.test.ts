// The RPC span helpers against a real SDK with an in-memory exporter: attributes from Temporal and internal requests,
// parents from W3C carriers, status by gRPC code, batch spans with links, and nothing at all while tracing is off.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { status } from '@grpc/grpc-js';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import {
  activeCarrier,
  activeTraceContext,
  contextFromCarrier,
  inBatchSpan,
  inServerSpan,
  requestAttributes,
  rpcTracing,
  ServiceError,
} from '../src/index.js';

const exporter = new InMemorySpanExporter();
let provider: TracerProvider;

before(() => {
  provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  rpcTracing.active = true;
});

after(async () => {
  rpcTracing.active = false;
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('requestAttributes', () => {
  test("a Temporal start request's workflow identifiers", () => {
    assert.deepEqual(
      requestAttributes({
        namespace: 'orders',
        workflowId: 'wf-1',
        workflowType: { name: 'Checkout' },
        taskQueue: { name: 'checkout-queue', kind: 1 },
      }),
      {
        'workflow.namespace': 'orders',
        'workflow.id': 'wf-1',
        'workflow.type': 'Checkout',
        'workflow.task_queue': 'checkout-queue',
      },
    );
  });

  test('an internal request: task queue as a string, the execution, and a wrapped client request', () => {
    assert.deepEqual(
      requestAttributes({ taskQueue: 'q', workflowId: 'wf', runId: 'run', scheduledEventId: 2 }),
      {
        'workflow.id': 'wf',
        'workflow.run_id': 'run',
        'workflow.task_queue': 'q',
      },
    );
    assert.deepEqual(
      requestAttributes({
        request: {
          execution: { workflowId: 'wf', runId: 'r' },
          activityId: 'a1',
          activityType: { name: 'Pay' },
        },
      }),
      { 'workflow.id': 'wf', 'workflow.run_id': 'r', 'activity.type': 'Pay', 'activity.id': 'a1' },
    );
  });
});

describe('inServerSpan', () => {
  test("a SERVER span, child of the carrier's context, active inside, with the run id the response names", async () => {
    exporter.reset();
    const parent = contextFromCarrier({ traceparent: `00-${TRACE}-${PARENT}-01` });
    let carried: Record<string, string> = {};
    await inServerSpan(
      { service: 'svc', method: 'Start', parent, attributes: { 'workflow.id': 'wf' } },
      async () => {
        await new Promise((resolve) => setImmediate(resolve));
        carried = activeCarrier();
        return { runId: 'run-7' };
      },
    );
    const [span] = exporter.getFinishedSpans();
    assert.ok(span);
    assert.equal(span.name, 'svc/Start');
    assert.equal(span.spanContext().traceId, TRACE);
    assert.equal(span.parentSpanContext?.spanId, PARENT);
    assert.equal(span.attributes['workflow.run_id'], 'run-7');
    assert.equal(span.attributes['rpc.grpc.status_code'], 0);
    assert.equal(
      carried.traceparent,
      `00-${TRACE}-${span.spanContext().spanId}-01`,
      'calls made inside carry it',
    );
  });

  test('status ERROR for a server failure, unset for a refusal of the request', async () => {
    exporter.reset();
    await assert.rejects(
      inServerSpan({ service: 'svc', method: 'A' }, async () => {
        throw ServiceError.unavailable('shard moved');
      }),
    );
    await assert.rejects(
      inServerSpan({ service: 'svc', method: 'B' }, async () => {
        throw new ServiceError(status.NOT_FOUND, 'no such workflow');
      }),
    );
    const [a, b] = exporter.getFinishedSpans();
    assert.equal(a?.attributes['rpc.grpc.status_code'], status.UNAVAILABLE);
    assert.equal(a?.status.code, 2 /* ERROR */);
    assert.equal(b?.attributes['rpc.grpc.status_code'], status.NOT_FOUND);
    assert.equal(b?.status.code, 0 /* UNSET */);
  });
});

describe('inBatchSpan', () => {
  test("the first caller's child, linked from the others", async () => {
    exporter.reset();
    const callers: ReturnType<typeof activeTraceContext>[] = [];
    for (const method of ['one', 'two']) {
      await inServerSpan({ service: 'svc', method }, async () => {
        callers.push(activeTraceContext());
      });
    }
    await inBatchSpan('persistence.commit', callers, { transitions: 2 }, async () => undefined);
    const [one, two, commit] = exporter.getFinishedSpans();
    assert.equal(commit?.name, 'persistence.commit');
    assert.equal(commit?.parentSpanContext?.spanId, one?.spanContext().spanId);
    assert.equal(commit?.spanContext().traceId, one?.spanContext().traceId);
    assert.deepEqual(
      commit?.links.map((link) => link.context.spanId),
      [two?.spanContext().spanId],
    );
  });
});

describe('while tracing is off', () => {
  test('nothing is carried and no context is captured', async () => {
    rpcTracing.active = false;
    try {
      await inServerSpan({ service: 'svc', method: 'Off' }, async () => {
        assert.deepEqual(activeCarrier(), {});
        assert.equal(activeTraceContext(), undefined);
      });
    } finally {
      rpcTracing.active = true;
    }
  });
});

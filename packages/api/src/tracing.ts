// RPC spans and trace-context propagation, shared by every role's gRPC servers and the internal clients. Written on
// the OpenTelemetry API only: until a process registers an SDK (HUGO_ORCHESTRATOR_OTLP_ENDPOINT, see @odin/runtime's
// startTraceExport) nothing records and `rpcTracing.active` keeps every hot path to one boolean test.
import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ServiceError } from './service-error.js';

/** Span attribute names every role tags its spans with (listed in docs/operations.md), so traces join up. */
export const TraceAttributes = {
  namespace: 'workflow.namespace',
  workflowId: 'workflow.id',
  runId: 'workflow.run_id',
  workflowType: 'workflow.type',
  taskQueue: 'workflow.task_queue',
  activityType: 'activity.type',
  activityId: 'activity.id',
  shardId: 'history.shard_id',
} as const;

const INSTRUMENTATION = 'odin';

/** Whether spans are recorded in this process; set once an exporter is registered. */
export const rpcTracing = { active: false };

export function odinTracer(): Tracer {
  return trace.getTracer(INSTRUMENTATION);
}

/** A trace context (the OpenTelemetry API's), for packages that do not import it themselves. */
export type TraceContext = Context;

/** A W3C trace context carrier (`traceparent`, `tracestate`) as read from gRPC metadata or a payload header. */
export type TraceCarrier = Record<string, string>;

/** The context a carrier names, or undefined when it carries none (or an unreadable one). */
export function contextFromCarrier(carrier: TraceCarrier): Context | undefined {
  const extracted = propagation.extract(ROOT_CONTEXT, carrier);
  return trace.getSpanContext(extracted) ? extracted : undefined;
}

/** The active trace context as carrier entries (empty when nothing is traced). */
export function activeCarrier(): TraceCarrier {
  const carrier: TraceCarrier = {};
  if (rpcTracing.active) propagation.inject(context.active(), carrier);
  return carrier;
}

// OpenTelemetry's gRPC conventions: a server span is an error only for the codes that mean the server failed.
const SERVER_ERROR_CODES = new Set([2, 4, 12, 13, 14, 15]); // UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS

function statusCodeOf(error: unknown): number {
  return error instanceof ServiceError ? error.code : 13;
}

/** The workflow identifiers a Temporal or internal request names, as span attributes. */
export function requestAttributes(request: unknown): Attributes {
  if (typeof request !== 'object' || request === null) return {};
  const r = request as Record<string, unknown>;
  const attributes: Attributes = {};
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' && value !== '' ? value : undefined;
  const nested = (value: unknown, key: string): string | undefined =>
    typeof value === 'object' && value !== null ? text((value as Record<string, unknown>)[key]) : undefined;
  const execution = r.execution ?? r.workflowExecution;
  const set = (key: string, value: string | undefined): void => {
    if (value !== undefined) attributes[key] = value;
  };
  set(TraceAttributes.namespace, text(r.namespace));
  set(TraceAttributes.workflowId, text(r.workflowId) ?? nested(execution, 'workflowId'));
  set(TraceAttributes.runId, text(r.runId) ?? nested(execution, 'runId'));
  set(TraceAttributes.workflowType, nested(r.workflowType, 'name') ?? text(r.workflowTypeName));
  set(TraceAttributes.taskQueue, nested(r.taskQueue, 'name') ?? text(r.taskQueue) ?? text(r.taskQueueName));
  set(TraceAttributes.activityType, nested(r.activityType, 'name'));
  set(TraceAttributes.activityId, text(r.activityId));
  // Internal requests wrap the client's request (history's start carries Temporal's StartWorkflowExecutionRequest).
  for (const inner of ['request', 'startRequest', 'signalWithStartRequest']) {
    const value = r[inner];
    if (typeof value === 'object' && value !== null && value !== request) {
      for (const [key, v] of Object.entries(requestAttributes(value))) attributes[key] ??= v;
    }
  }
  return attributes;
}

export interface ServerSpanOptions {
  /** `rpc.service`: the fully-qualified gRPC service name. */
  readonly service: string;
  readonly method: string;
  /** The caller's trace context; a new trace when undefined. */
  readonly parent?: Context;
  readonly attributes?: Attributes;
}

/**
 * Runs `fn` in a SERVER span `<service>/<method>` (active while it runs, so the calls it makes carry it) that ends
 * when `fn` settles, with the gRPC status code and, for a server-side failure, status ERROR.
 */
export async function inServerSpan<T>(
  options: ServerSpanOptions,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const span = odinTracer().startSpan(
    `${options.service}/${options.method}`,
    {
      kind: SpanKind.SERVER,
      attributes: {
        'rpc.system': 'grpc',
        'rpc.service': options.service,
        'rpc.method': options.method,
        ...options.attributes,
      },
    },
    options.parent ?? ROOT_CONTEXT,
  );
  try {
    const result = await context.with(trace.setSpan(options.parent ?? ROOT_CONTEXT, span), () => fn(span));
    span.setAttribute('rpc.grpc.status_code', 0);
    if (typeof result === 'object' && result !== null) {
      const runId = (result as { runId?: unknown }).runId;
      if (typeof runId === 'string' && runId !== '') span.setAttribute(TraceAttributes.runId, runId);
    }
    return result;
  } catch (error) {
    const code = statusCodeOf(error);
    span.setAttribute('rpc.grpc.status_code', code);
    if (SERVER_ERROR_CODES.has(code)) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
    }
    throw error;
  } finally {
    span.end();
  }
}

/** Adds attributes to the span active on this async path (no-op when nothing is traced). */
export function annotateActiveSpan(attributes: Attributes): void {
  if (!rpcTracing.active) return;
  trace.getActiveSpan()?.setAttributes(attributes);
}

/** The trace context active on this async path, when spans are recorded (to hand to work done later elsewhere). */
export function activeTraceContext(): TraceContext | undefined {
  return rpcTracing.active ? context.active() : undefined;
}

/**
 * Runs `fn` in an INTERNAL span `name` done on behalf of several callers (a group commit): the first caller's
 * context is its parent and every other caller's span is a link, so each caller's trace shows the work.
 */
export async function inBatchSpan<T>(
  name: string,
  callers: readonly (TraceContext | undefined)[],
  attributes: Attributes,
  fn: () => Promise<T>,
): Promise<T> {
  const [parent, ...others] = callers.filter((c): c is TraceContext => c !== undefined);
  const links = others.flatMap((c) => {
    const spanContext = trace.getSpanContext(c);
    return spanContext ? [{ context: spanContext }] : [];
  });
  const span = odinTracer().startSpan(
    name,
    { kind: SpanKind.INTERNAL, attributes, ...(links.length > 0 ? { links } : {}) },
    parent ?? ROOT_CONTEXT,
  );
  try {
    return await context.with(trace.setSpan(parent ?? ROOT_CONTEXT, span), fn);
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/** The trace id of the span active on this async path, for logs to carry (undefined when nothing is traced). */
export function activeTraceId(): string | undefined {
  if (!rpcTracing.active) return undefined;
  return trace.getActiveSpan()?.spanContext().traceId;
}

// OpenTelemetry tracing through interceptors: client → workflow → activities and children, one trace. The trace
// context travels in the `_tracer-data` header as the official `@temporalio/interceptors-opentelemetry` writes it
// (a json/plain payload of the propagator's carrier, e.g. `{"traceparent":"00-…"}`), so traces join across SDKs.
// Span names and attributes are the official interceptor's (`StartWorkflow:<type>`, `RunWorkflow:<type>`,
// `StartActivity:<type>`, `RunActivity:<type>`, `StartChildWorkflow:<type>`, …; `run_id`, `temporalWorkflowId`,
// `temporalActivityId`), plus `workflow.namespace`, `workflow.id`, `workflow.run_id`, `workflow.type`,
// `workflow.task_queue`, `activity.type`, `activity.id`.
import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  type Exception,
  type HrTime,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
  type Tracer,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import type { ActivityContext } from '../activity/context.js';
import type {
  ActivityInboundCallsInterceptor,
  ActivityInterceptorsFactory,
} from '../activity/interceptors.js';
import type { WorkflowClientInterceptor } from '../client/interceptors.js';
import type { Headers } from '../common/interceptors.js';
import { defaultPayloadConverter } from '../common/payload.js';
import { activatorStorage } from '../workflow/activator.js';
import { requireActivator } from '../workflow/context.js';
import { ContinueAsNew } from '../workflow/errors.js';
import type {
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptorsFactory,
  WorkflowOutboundCallsInterceptor,
} from '../workflow/interceptors.js';
import { seededRandom } from '../workflow/random.js';
import type { WorkflowInfo } from '../workflow/workflow-info.js';

/** The header the official interceptors carry the trace context in. */
export const TRACE_HEADER = '_tracer-data';

export const SpanNames = {
  workflowStart: 'StartWorkflow',
  workflowSignal: 'SignalWorkflow',
  workflowSignalWithStart: 'SignalWithStartWorkflow',
  workflowQuery: 'QueryWorkflow',
  workflowExecute: 'RunWorkflow',
  handleSignal: 'HandleSignal',
  childWorkflowStart: 'StartChildWorkflow',
  signalExternal: 'SignalExternalWorkflow',
  activityStart: 'StartActivity',
  activityExecute: 'RunActivity',
  continueAsNew: 'ContinueAsNew',
} as const;

const INSTRUMENTATION = '@odin/sdk';

// ---- headers ---------------------------------------------------------------------------------------------

/** `headers` plus the trace context of `ctx` in `_tracer-data`. */
export function headersWithContext(headers: Headers, ctx: Context): Headers {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  if (Object.keys(carrier).length === 0) return headers;
  return { ...headers, [TRACE_HEADER]: defaultPayloadConverter.toPayload(carrier) };
}

/** The context `_tracer-data` carries, or undefined without one. */
export function contextFromHeaders(headers: Headers): Context | undefined {
  const payload = headers[TRACE_HEADER];
  if (!payload) return undefined;
  let carrier: Record<string, string>;
  try {
    carrier = defaultPayloadConverter.fromPayload<Record<string, string>>(payload);
  } catch {
    return undefined;
  }
  const extracted = propagation.extract(ROOT_CONTEXT, carrier ?? {});
  return trace.getSpanContext(extracted) ? extracted : undefined;
}

function workflowAttributes(info: {
  namespace: string;
  workflowId: string;
  runId: string;
  workflowType: string;
  taskQueue: string;
}): Attributes {
  return {
    run_id: info.runId,
    temporalWorkflowId: info.workflowId,
    'workflow.namespace': info.namespace,
    'workflow.id': info.workflowId,
    'workflow.run_id': info.runId,
    'workflow.type': info.workflowType,
    'workflow.task_queue': info.taskQueue,
  };
}

/** Runs `fn` in a span that ends when it settles (status ERROR with the exception unless `acceptable`). */
async function inSpan<T>(
  span: Span,
  fn: () => Promise<T>,
  acceptable?: (error: unknown) => boolean,
): Promise<T> {
  try {
    const value = await fn();
    span.setStatus({ code: SpanStatusCode.OK });
    return value;
  } catch (error) {
    if (acceptable?.(error)) {
      span.setStatus({ code: SpanStatusCode.OK });
    } else {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
      span.recordException(error as Exception);
    }
    throw error;
  } finally {
    span.end();
  }
}

// ---- client ------------------------------------------------------------------------------------------------

export interface OpenTelemetryOptions {
  /** The tracer for client and activity spans; the global provider's by default. */
  tracer?: Tracer;
}

/** Client spans (StartWorkflow, SignalWithStartWorkflow, SignalWorkflow, QueryWorkflow) that hand their context on. */
export class OpenTelemetryWorkflowClientInterceptor implements WorkflowClientInterceptor {
  private readonly tracer: Tracer;

  constructor(options: OpenTelemetryOptions = {}) {
    this.tracer = options.tracer ?? trace.getTracer(INSTRUMENTATION);
  }

  private traced<T>(
    name: string,
    attributes: Attributes,
    fn: (span: Span, ctx: Context) => Promise<T>,
  ): Promise<T> {
    const span = this.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, context.active());
    const ctx = trace.setSpan(context.active(), span);
    return inSpan(span, () => context.with(ctx, () => fn(span, ctx)));
  }

  start: NonNullable<WorkflowClientInterceptor['start']> = (input, next) =>
    this.traced(
      `${SpanNames.workflowStart}:${input.workflowType}`,
      {
        temporalWorkflowId: input.options.workflowId,
        'workflow.namespace': input.namespace,
        'workflow.id': input.options.workflowId,
        'workflow.type': input.workflowType,
        'workflow.task_queue': input.options.taskQueue,
      },
      async (span, ctx) => {
        const runId = await next({ ...input, headers: headersWithContext(input.headers, ctx) });
        span.setAttributes({ run_id: runId, 'workflow.run_id': runId });
        return runId;
      },
    );

  signalWithStart: NonNullable<WorkflowClientInterceptor['signalWithStart']> = (input, next) =>
    this.traced(
      `${SpanNames.workflowSignalWithStart}:${input.workflowType}`,
      {
        temporalWorkflowId: input.options.workflowId,
        'workflow.namespace': input.namespace,
        'workflow.id': input.options.workflowId,
        'workflow.type': input.workflowType,
        'workflow.task_queue': input.options.taskQueue,
      },
      async (span, ctx) => {
        const runId = await next({ ...input, headers: headersWithContext(input.headers, ctx) });
        span.setAttributes({ run_id: runId, 'workflow.run_id': runId });
        return runId;
      },
    );

  signal: NonNullable<WorkflowClientInterceptor['signal']> = (input, next) =>
    this.traced(
      `${SpanNames.workflowSignal}:${input.signalName}`,
      {
        temporalWorkflowId: input.workflowExecution.workflowId,
        'workflow.namespace': input.namespace,
        'workflow.id': input.workflowExecution.workflowId,
      },
      (_, ctx) => next({ ...input, headers: headersWithContext(input.headers, ctx) }),
    );

  query: NonNullable<WorkflowClientInterceptor['query']> = (input, next) =>
    this.traced(
      `${SpanNames.workflowQuery}:${input.queryType}`,
      {
        temporalWorkflowId: input.workflowExecution.workflowId,
        'workflow.namespace': input.namespace,
        'workflow.id': input.workflowExecution.workflowId,
      },
      (_, ctx) => next({ ...input, headers: headersWithContext(input.headers, ctx) }),
    );
}

// ---- activities ------------------------------------------------------------------------------------------

/** `RunActivity:<type>` spans, children of the span that scheduled the activity (local activities too). */
export function openTelemetryActivityInterceptors(
  options: OpenTelemetryOptions = {},
): ActivityInterceptorsFactory {
  const tracer = options.tracer ?? trace.getTracer(INSTRUMENTATION);
  return (activity: ActivityContext) => {
    const inbound: ActivityInboundCallsInterceptor = {
      execute(input, next) {
        const info = activity.info;
        const parent = contextFromHeaders(input.headers) ?? context.active();
        const span = tracer.startSpan(
          `${SpanNames.activityExecute}:${info.activityType}`,
          {
            kind: SpanKind.SERVER,
            attributes: {
              temporalWorkflowId: info.workflowId,
              run_id: info.runId,
              temporalActivityId: info.activityId,
              'workflow.namespace': info.workflowNamespace,
              'workflow.id': info.workflowId,
              'workflow.run_id': info.runId,
              'workflow.type': info.workflowType,
              'workflow.task_queue': info.taskQueue,
              'activity.type': info.activityType,
              'activity.id': info.activityId,
            },
          },
          parent,
        );
        return inSpan(span, () => context.with(trace.setSpan(parent, span), () => next(input)));
      },
    };
    return { inbound };
  };
}

// ---- workflows -------------------------------------------------------------------------------------------

/** A finished workflow span, shaped as `@opentelemetry/sdk-trace-base`'s ReadableSpan (1.x and 2.x fields). */
export interface WorkflowReadableSpan {
  readonly name: string;
  readonly kind: SpanKind;
  readonly spanContext: () => SpanContext;
  readonly parentSpanContext: SpanContext | undefined;
  readonly parentSpanId: string | undefined;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly duration: HrTime;
  readonly status: SpanStatus;
  readonly attributes: Attributes;
  readonly links: Link[];
  readonly events: { name: string; time: HrTime; attributes?: Attributes }[];
  readonly ended: true;
  readonly resource: unknown;
  readonly instrumentationScope: { name: string };
  readonly instrumentationLibrary: { name: string };
  readonly droppedAttributesCount: 0;
  readonly droppedEventsCount: 0;
  readonly droppedLinksCount: 0;
}

/** Where finished workflow spans go: a SpanProcessor (`onEnd`) or a SpanExporter (`export`). */
export type WorkflowSpanSink =
  | { onEnd(span: WorkflowReadableSpan): void }
  | { export(spans: WorkflowReadableSpan[], done: (result: unknown) => void): void };

export interface OpenTelemetryWorkflowOptions {
  /** Receives the workflow spans; e.g. the SpanProcessor of your tracer provider. */
  spans: WorkflowSpanSink;
  /** The Resource put on workflow spans (what exporters read `attributes` from); empty by default. */
  resource?: unknown;
}

function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / 1000);
  return [seconds, Math.round((ms - seconds * 1000) * 1_000_000)];
}

function hex(random: () => number, bytes: number): string {
  let out = '';
  for (let i = 0; i < bytes; i++)
    out += Math.floor(random() * 256)
      .toString(16)
      .padStart(2, '0');
  return out;
}

/**
 * A span inside workflow code. Its ids come from a generator seeded with the run id (not the workflow's own
 * random source, which user code reads), its times are workflow time: every replay of the run builds the same
 * spans with the same ids, so a span started in a replayed task still parents what a later live task starts.
 * It is handed to the sink when it ends in a live task, never on replay, so each span is exported once.
 */
class WorkflowSpan implements Span {
  private readonly context: SpanContext;
  private readonly start: number;
  private attributes: Attributes = {};
  private readonly events: { name: string; time: HrTime; attributes?: Attributes }[] = [];
  private readonly links: Link[] = [];
  private status: SpanStatus = { code: SpanStatusCode.UNSET };
  private ended = false;

  constructor(
    private name: string,
    private readonly parent: SpanContext | undefined,
    ids: () => number,
    private readonly sink: OpenTelemetryWorkflowOptions,
    attributes: Attributes,
  ) {
    this.context = {
      traceId: parent?.traceId ?? hex(ids, 16),
      spanId: hex(ids, 8),
      traceFlags: parent?.traceFlags ?? TraceFlags.SAMPLED,
    };
    this.start = Date.now();
    this.setAttributes(attributes);
  }

  spanContext(): SpanContext {
    return this.context;
  }
  setAttribute(key: string, value: AttributeValue): this {
    this.attributes = { ...this.attributes, [key]: value };
    return this;
  }
  setAttributes(attributes: Attributes): this {
    this.attributes = { ...this.attributes, ...attributes };
    return this;
  }
  addEvent(name: string, attributesOrTime?: Attributes | TimeInput): this {
    const attributes =
      typeof attributesOrTime === 'object' &&
      !Array.isArray(attributesOrTime) &&
      !(attributesOrTime instanceof Date)
        ? (attributesOrTime as Attributes)
        : undefined;
    this.events.push({ name, time: hrTime(Date.now()), ...(attributes ? { attributes } : {}) });
    return this;
  }
  addLink(link: Link): this {
    this.links.push(link);
    return this;
  }
  addLinks(links: Link[]): this {
    this.links.push(...links);
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.status = status;
    return this;
  }
  updateName(name: string): this {
    this.name = name;
    return this;
  }
  isRecording(): boolean {
    return !this.ended;
  }
  recordException(exception: Exception): void {
    const error = exception as { name?: string; message?: string; stack?: string };
    this.addEvent('exception', {
      'exception.type': error?.name ?? 'Error',
      'exception.message': error?.message ?? String(exception),
      ...(error?.stack ? { 'exception.stacktrace': error.stack } : {}),
    });
  }
  end(): void {
    if (this.ended) return;
    this.ended = true;
    const activator = activatorStorage.getStore();
    // Exported once: by the live task that ended it, not again when a replay ends it.
    if (activator?.replaying) return;
    const end = Math.max(this.start, Date.now());
    const scope = { name: `${INSTRUMENTATION}/workflow` };
    const readable: WorkflowReadableSpan = {
      name: this.name,
      kind: SpanKind.INTERNAL,
      spanContext: () => this.context,
      parentSpanContext: this.parent,
      parentSpanId: this.parent?.spanId,
      startTime: hrTime(this.start),
      endTime: hrTime(end),
      duration: hrTime(end - this.start),
      status: this.status,
      attributes: this.attributes,
      links: this.links,
      events: this.events,
      ended: true,
      resource: this.sink.resource ?? { attributes: {}, asyncAttributesPending: false },
      instrumentationScope: scope,
      instrumentationLibrary: scope,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
    // Outside the workflow's deterministic context: the sink is ordinary code (it may use timers, I/O).
    activatorStorage.exit(() => {
      const sink = this.sink.spans;
      if ('onEnd' in sink) sink.onEnd(readable);
      else sink.export([readable], () => undefined);
    });
  }
}

/**
 * Workflow interceptors emitting `RunWorkflow`, `HandleSignal`, `StartActivity` (local activities too),
 * `StartChildWorkflow`, `SignalExternalWorkflow` and `ContinueAsNew` spans, and handing their context on in the
 * `_tracer-data` header of the commands they issue. Give the factory to `Worker.create({ interceptors: { workflow:
 * [openTelemetryWorkflowInterceptors({ spans: spanProcessor })] } })`.
 */
export function openTelemetryWorkflowInterceptors(
  options: OpenTelemetryWorkflowOptions,
): WorkflowInterceptorsFactory {
  return () => {
    const info: WorkflowInfo = requireActivator('openTelemetryWorkflowInterceptors').info;
    const ids = seededRandom(`${info.runId}/opentelemetry`);
    const attributes = workflowAttributes(info);
    let runSpan: WorkflowSpan | undefined;
    const span = (name: string, parent: SpanContext | undefined, extra: Attributes = {}) =>
      new WorkflowSpan(name, parent, ids, options, { ...attributes, ...extra });
    const carry = (headers: Headers, s: WorkflowSpan) =>
      headersWithContext(headers, trace.setSpanContext(ROOT_CONTEXT, s.spanContext()));
    const parentOf = (headers?: Headers) => {
      const ctx = headers ? contextFromHeaders(headers) : undefined;
      return (ctx && trace.getSpanContext(ctx)) ?? runSpan?.spanContext();
    };

    const inbound: WorkflowInboundCallsInterceptor = {
      execute(input, next) {
        runSpan = span(`${SpanNames.workflowExecute}:${info.workflowType}`, parentOf(input.headers));
        return inSpan(
          runSpan,
          () => next(input),
          (error) => error instanceof ContinueAsNew,
        );
      },
      handleSignal(input, next) {
        const s = span(`${SpanNames.handleSignal}:${input.signalName}`, parentOf(input.headers));
        return inSpan(s, () => next(input));
      },
    };
    const outbound: WorkflowOutboundCallsInterceptor = {
      scheduleActivity(input, next) {
        const s = span(`${SpanNames.activityStart}:${input.activityType}`, runSpan?.spanContext(), {
          'activity.type': input.activityType,
        });
        return inSpan(s, () => next({ ...input, headers: carry(input.headers, s) }));
      },
      scheduleLocalActivity(input, next) {
        const s = span(`${SpanNames.activityStart}:${input.activityType}`, runSpan?.spanContext(), {
          'activity.type': input.activityType,
        });
        return inSpan(s, () => next({ ...input, headers: carry(input.headers, s) }));
      },
      startChildWorkflowExecution(input, next) {
        const s = span(`${SpanNames.childWorkflowStart}:${input.workflowType}`, runSpan?.spanContext());
        return inSpan(s, async () => {
          const handle = await next({ ...input, headers: carry(input.headers, s) });
          s.setAttribute('child.workflow_id', handle.workflowId);
          return handle;
        });
      },
      signalWorkflow(input, next) {
        const s = span(`${SpanNames.signalExternal}:${input.signalName}`, runSpan?.spanContext());
        return inSpan(s, () => next({ ...input, headers: carry(input.headers, s) }));
      },
      continueAsNew(input, next) {
        const s = span(`${SpanNames.continueAsNew}:${input.workflowType}`, runSpan?.spanContext());
        return inSpan(
          s,
          () => next({ ...input, headers: carry(input.headers, s) }),
          (error) => error instanceof ContinueAsNew,
        );
      },
    };
    return { inbound: [inbound], outbound: [outbound] };
  };
}

import {
  type Attributes,
  type Counter,
  createNoopMeter,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  ProxyTracerProvider,
  type Span,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
  type UpDownCounter,
} from '@opentelemetry/api';

/** Hugo's instrumentation scope: meter and tracer share this name. */
export const HugoInstrumentationName = 'Hugo.Go';
export const HugoSchemaUrl = 'https://opentelemetry.io/schemas/1.27.0';

export type HugoInstrumentKind = 'counter' | 'histogram' | 'upDownCounter';

interface InstrumentSpec {
  readonly kind: HugoInstrumentKind;
  readonly unit?: string;
  readonly description: string;
}

/** Hugo's metric names (those of the Hugo library this package ports) and the instrument kind each one is. */
export const HugoMetrics = Object.freeze({
  'waitgroup.additions': {
    kind: 'counter',
    unit: 'operations',
    description: 'Work items added to wait groups.',
  },
  'waitgroup.completions': {
    kind: 'counter',
    unit: 'operations',
    description: 'Work items completed in wait groups.',
  },
  'waitgroup.outstanding': {
    kind: 'upDownCounter',
    unit: 'tasks',
    description: 'Work items outstanding in wait groups.',
  },
  'result.successes': { kind: 'counter', unit: 'events', description: 'Successful results created.' },
  'result.failures': { kind: 'counter', unit: 'events', description: 'Failed results created.' },
  'channel.select.attempts': {
    kind: 'counter',
    unit: 'operations',
    description: 'Select operations started.',
  },
  'channel.select.completions': {
    kind: 'counter',
    unit: 'operations',
    description: 'Select operations that consumed a value.',
  },
  'channel.select.timeouts': {
    kind: 'counter',
    unit: 'operations',
    description: 'Select operations that timed out.',
  },
  'channel.select.cancellations': {
    kind: 'counter',
    unit: 'operations',
    description: 'Select operations that were canceled.',
  },
  'channel.select.latency': { kind: 'histogram', unit: 'ms', description: 'Time a select took.' },
  'channel.depth': {
    kind: 'histogram',
    unit: 'items',
    description: 'Values a consumer found buffered in a channel.',
  },
  'taskqueue.enqueued': { kind: 'counter', unit: 'items', description: 'Items enqueued.' },
  'taskqueue.leased': { kind: 'counter', unit: 'leases', description: 'Leases granted.' },
  'taskqueue.completed': { kind: 'counter', unit: 'leases', description: 'Leases completed.' },
  'taskqueue.failed': { kind: 'counter', unit: 'leases', description: 'Leases failed.' },
  'taskqueue.expired': { kind: 'counter', unit: 'leases', description: 'Leases expired.' },
  'taskqueue.requeued': { kind: 'counter', unit: 'items', description: 'Items requeued.' },
  'taskqueue.deadlettered': { kind: 'counter', unit: 'items', description: 'Items dead-lettered.' },
  'taskqueue.heartbeats': {
    kind: 'counter',
    unit: 'leases',
    description: 'Lease heartbeats that extended a lease.',
  },
  'taskqueue.pending': { kind: 'upDownCounter', unit: 'items', description: 'Items waiting for a lease.' },
  'taskqueue.active': { kind: 'upDownCounter', unit: 'leases', description: 'Leases held.' },
  'taskqueue.pending.depth': { kind: 'histogram', unit: 'items', description: 'Pending depth observed.' },
  'taskqueue.active.depth': {
    kind: 'histogram',
    unit: 'leases',
    description: 'Active lease count observed.',
  },
  'taskqueue.lease.duration': { kind: 'histogram', unit: 'ms', description: 'How long leases were held.' },
  'taskqueue.heartbeat.extension': {
    kind: 'histogram',
    unit: 'ms',
    description: 'How far heartbeats moved lease expiry.',
  },
  'hugo.taskqueue.backpressure.active': {
    kind: 'upDownCounter',
    unit: 'queues',
    description: 'Queues under backpressure.',
  },
  'hugo.taskqueue.backpressure.pending': {
    kind: 'histogram',
    unit: 'items',
    description: 'Pending count at backpressure transitions.',
  },
  'hugo.taskqueue.backpressure.transitions': {
    kind: 'counter',
    unit: 'events',
    description: 'Backpressure state changes.',
  },
  'hugo.taskqueue.backpressure.duration': {
    kind: 'histogram',
    unit: 'ms',
    description: 'Time spent in a backpressure state.',
  },
  'workflow.started': { kind: 'counter', unit: 'workflows', description: 'Workflow executions started.' },
  'workflow.completed': { kind: 'counter', unit: 'workflows', description: 'Workflow executions completed.' },
  'workflow.failed': { kind: 'counter', unit: 'workflows', description: 'Workflow executions failed.' },
  'workflow.canceled': { kind: 'counter', unit: 'workflows', description: 'Workflow executions canceled.' },
  'workflow.terminated': {
    kind: 'counter',
    unit: 'workflows',
    description: 'Workflow executions terminated.',
  },
  'workflow.active': {
    kind: 'upDownCounter',
    unit: 'workflows',
    description: 'Workflow executions in flight.',
  },
  'workflow.replay.count': {
    kind: 'histogram',
    unit: 'replays',
    description: 'Replays per workflow execution.',
  },
  'workflow.logical.clock': { kind: 'histogram', unit: 'ticks', description: 'Logical clock at completion.' },
  'workflow.duration': { kind: 'histogram', unit: 'ms', description: 'Workflow execution duration.' },
} satisfies Record<string, InstrumentSpec>);

export type HugoMetricName = keyof typeof HugoMetrics;

export interface GoDiagnosticsOptions {
  /** Where the meter comes from; the global provider when omitted. Ignored when `meter` is given. */
  meterProvider?: MeterProvider;
  /** Where the tracer comes from; the global provider when omitted. Ignored when `tracer` is given. */
  tracerProvider?: TracerProvider;
  meter?: Meter;
  tracer?: Tracer;
  /**
   * Count `result.successes` / `result.failures` on every `ok()` / `fail()`. Off by default: Hugo always counts,
   * which costs a metric call on the hottest path of the engine.
   */
  countResults?: boolean;
}

type Instrument = Counter | Histogram | UpDownCounter;

const noopMeter = createNoopMeter();
const noopTracer = new ProxyTracerProvider().getTracer(HugoInstrumentationName);

interface DiagnosticsState {
  configured: boolean;
  meter: Meter;
  tracer: Tracer;
  countResults: boolean;
  instruments: Map<string, Instrument>;
}

const state: DiagnosticsState = {
  configured: false,
  meter: noopMeter,
  tracer: noopTracer,
  countResults: false,
  instruments: new Map(),
};

function instrument<I extends Instrument>(name: string, kind: HugoInstrumentKind): I {
  const key = `${kind}:${name}`;
  const cached = state.instruments.get(key);
  if (cached) return cached as I;
  const spec = (HugoMetrics as Record<string, InstrumentSpec>)[name];
  const options = spec ? { description: spec.description, ...(spec.unit ? { unit: spec.unit } : {}) } : {};
  let created: Instrument;
  if (kind === 'counter') created = state.meter.createCounter(name, options);
  else if (kind === 'histogram') created = state.meter.createHistogram(name, options);
  else created = state.meter.createUpDownCounter(name, options);
  // No-op instruments are not cached so that a later configure() takes effect for every caller.
  if (state.configured) state.instruments.set(key, created);
  return created as I;
}

/**
 * Hugo's static `GoDiagnostics`: one meter and one tracer named "Hugo.Go" (schema 1.27.0), silent until
 * `configure()` is called. Before that (and after `reset()`) every instrument and span is a no-op.
 */
export const GoDiagnostics = Object.freeze({
  name: HugoInstrumentationName,
  schemaUrl: HugoSchemaUrl,

  get isConfigured(): boolean {
    return state.configured;
  },

  get meter(): Meter {
    return state.meter;
  },

  get tracer(): Tracer {
    return state.tracer;
  },

  get countsResults(): boolean {
    return state.configured && state.countResults;
  },

  configure(options: GoDiagnosticsOptions = {}): void {
    state.meter =
      options.meter ??
      (options.meterProvider ?? metrics.getMeterProvider()).getMeter(HugoInstrumentationName, undefined, {
        schemaUrl: HugoSchemaUrl,
      });
    state.tracer =
      options.tracer ??
      (options.tracerProvider ?? trace.getTracerProvider()).getTracer(HugoInstrumentationName, undefined, {
        schemaUrl: HugoSchemaUrl,
      });
    state.countResults = options.countResults ?? false;
    state.instruments = new Map();
    state.configured = true;
  },

  reset(): void {
    state.configured = false;
    state.meter = noopMeter;
    state.tracer = noopTracer;
    state.countResults = false;
    state.instruments = new Map();
  },

  counter(name: HugoMetricName | (string & {})): Counter {
    return instrument<Counter>(name, 'counter');
  },

  histogram(name: HugoMetricName | (string & {})): Histogram {
    return instrument<Histogram>(name, 'histogram');
  },

  upDownCounter(name: HugoMetricName | (string & {})): UpDownCounter {
    return instrument<UpDownCounter>(name, 'upDownCounter');
  },

  /** Adds to a catalogued metric with the instrument kind it has in `HugoMetrics` (histograms record). */
  record(name: HugoMetricName, value: number, attributes?: Attributes): void {
    if (!state.configured) return;
    const spec: InstrumentSpec = HugoMetrics[name];
    if (spec.kind === 'histogram') instrument<Histogram>(name, 'histogram').record(value, attributes);
    else instrument<Counter | UpDownCounter>(name, spec.kind).add(value, attributes);
  },

  /**
   * Runs `fn` inside a span named `name`. A throw marks the span as an error and is rethrown; a returned failed
   * Result (an object with `ok: false`) marks the span as an error too.
   */
  withSpan<T>(name: string, fn: (span: Span) => T, attributes?: Attributes): T {
    return state.tracer.startActiveSpan(name, { attributes: attributes ?? {} }, (span) => {
      const finish = (value: T): T => {
        markFailedResult(span, value);
        span.end();
        return value;
      };
      const fault = (error: unknown): never => {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
        span.end();
        throw error;
      };
      let value: T;
      try {
        value = fn(span);
      } catch (error) {
        return fault(error);
      }
      if (isPromiseLike(value)) {
        return Promise.resolve(value).then(
          (v) => finish(v as T) as Awaited<T>,
          (e) => fault(e),
        ) as T;
      }
      return finish(value);
    });
  },
});

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}

function markFailedResult(span: Span, value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  const v = value as { ok?: unknown; error?: { code?: string; message?: string } };
  if (v.ok !== false || !v.error) return;
  if (v.error.code) span.setAttribute('error.code', v.error.code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: v.error.message ?? 'failed' });
}

/** Called by `ok()`/`fail()`; free unless diagnostics were configured with `countResults`. */
export function recordResultCreated(success: boolean): void {
  if (!state.configured || !state.countResults) return;
  instrument<Counter>(success ? 'result.successes' : 'result.failures', 'counter').add(1);
}

// Trace export: when HUGO_ORCHESTRATOR_OTLP_ENDPOINT is set, an OpenTelemetry SDK tracer provider with a batching
// OTLP exporter (HTTP/protobuf) becomes this process's global provider, with the AsyncLocalStorage context manager
// (a span stays active across awaits) and the W3C trace-context propagator (the `traceparent` metadata of the
// internal calls). The SDK is imported only then: a process without the variable loads none of it. The span names
// and attributes the roles record are @odin/api's (`TraceAttributes`, `inServerSpan`).
import type { Logger } from './logger.js';

export interface TraceExportOptions {
  /** The collector: `http://collector:4318` (traces go to `/v1/traces`) or the full URL of its traces path. */
  readonly endpoint: string;
  /** `service.name` of every span this process exports. */
  readonly serviceName: string;
  /** `service.instance.id`: the host id. */
  readonly instanceId: string;
  readonly logger: Logger;
  /** Told `true` once spans are recorded and exported, `false` after the last shutdown. */
  readonly onActive?: (active: boolean) => void;
}

export interface TraceExport {
  /** Exports what is still buffered and stops exporting. */
  shutdown(): Promise<void>;
}

/** The OTLP/HTTP traces URL of an endpoint, as OTEL_EXPORTER_OTLP_ENDPOINT reads one: a bare origin gets /v1/traces. */
export function otlpTracesUrl(endpoint: string): string {
  const url = new URL(endpoint);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.href;
}

let installed: { users: number; shutdown: () => Promise<void> } | undefined;

/**
 * Registers the exporting tracer provider for this process (once: a second server in the same process shares it,
 * and the last `shutdown` flushes and stops it).
 */
export async function startTraceExport(options: TraceExportOptions): Promise<TraceExport> {
  if (!installed) {
    const [api, { TracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, resources, core, hooks] =
      await Promise.all([
        import('@opentelemetry/api'),
        import('@opentelemetry/sdk-trace'),
        import('@opentelemetry/exporter-trace-otlp-proto'),
        import('@opentelemetry/resources'),
        import('@opentelemetry/core'),
        import('@opentelemetry/context-async-hooks'),
      ]);
    const url = otlpTracesUrl(options.endpoint);
    const provider = new TracerProvider({
      resource: resources.resourceFromAttributes({
        'service.name': options.serviceName,
        'service.namespace': 'odin',
        'service.instance.id': options.instanceId,
      }),
      spanProcessors: [
        new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url }), scheduledDelayMillis: 1000 }),
      ],
    });
    // The SDK reports export failures (collector unreachable, refused batches) through its diagnostic logger:
    // warnings and errors go to the process log, so a trace pipeline that silently drops spans is visible.
    const diagLog = options.logger;
    api.diag.setLogger(
      {
        error: (message, ...args) => diagLog.warn({ otel: args }, `opentelemetry: ${message}`),
        warn: (message, ...args) => diagLog.warn({ otel: args }, `opentelemetry: ${message}`),
        info: () => {},
        debug: () => {},
        verbose: () => {},
      },
      { logLevel: api.DiagLogLevel.WARN, suppressOverrideMessage: true },
    );
    const contextManager = new hooks.AsyncLocalStorageContextManager().enable();
    api.context.setGlobalContextManager(contextManager);
    api.propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
    api.trace.setGlobalTracerProvider(provider);
    options.onActive?.(true);
    options.logger.info({ otlp_endpoint: url }, 'exporting traces');
    installed = {
      users: 0,
      shutdown: async () => {
        options.onActive?.(false);
        await provider.shutdown().catch((error: unknown) => {
          options.logger.warn({ err: error }, 'could not export the last traces');
        });
        api.trace.disable();
        api.propagation.disable();
        api.context.disable();
        api.diag.disable();
      },
    };
  }
  const current = installed;
  current.users += 1;
  let stopped = false;
  return {
    async shutdown() {
      if (stopped) return;
      stopped = true;
      current.users -= 1;
      if (current.users === 0 && installed === current) {
        installed = undefined;
        await current.shutdown();
      }
    },
  };
}

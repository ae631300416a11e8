// Where a client's trace context comes from: W3C `traceparent` metadata on the gRPC call, or the `_tracer-data`
// header Temporal's OpenTelemetry interceptors (and @odin/sdk's) put in start and signal-with-start requests (a
// json/plain payload of the propagator's carrier). Either makes the frontend's span a child of the client's.
import { contextFromCarrier, type TraceCarrier, type TraceContext } from '@odin/api';

const TRACER_DATA_HEADER = '_tracer-data';

function carrierOfHeader(request: object): TraceCarrier | undefined {
  const fields = (request as { header?: { fields?: Record<string, { data?: Uint8Array | null }> } | null })
    .header?.fields;
  const data = fields?.[TRACER_DATA_HEADER]?.data;
  if (!data || data.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(data).toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const carrier: TraceCarrier = {};
    for (const [key, value] of Object.entries(parsed)) if (typeof value === 'string') carrier[key] = value;
    return carrier;
  } catch {
    // Not ours to judge: a header the client's interceptor wrote in a form we do not read starts a new trace.
    return undefined;
  }
}

/** The trace context of the request's `_tracer-data` header; undefined when it has none that names a span. */
export function headerTraceContext(request: object): TraceContext | undefined {
  const carrier = carrierOfHeader(request);
  return carrier ? contextFromCarrier(carrier) : undefined;
}

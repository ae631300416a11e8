import type { Attributes, Span } from '@opentelemetry/api';
import { GoDiagnostics } from '../../diagnostics.js';

/**
 * `GoDiagnostics.withSpan`, skipped entirely while diagnostics are not configured: no span, and the attributes
 * (given as a function) are never built, which keeps hot paths free of allocations.
 */
export function traced<T>(name: string, fn: (span: Span | undefined) => T, attributes?: () => Attributes): T {
  if (!GoDiagnostics.isConfigured) return fn(undefined);
  return GoDiagnostics.withSpan(name, fn, attributes?.());
}

// The CallContext of an in-process call, carried over gRPC: the deadline as the call's deadline, cancellation as
// the call's cancellation, the log ids as metadata. On the server the handler's signal also aborts when the server
// shuts down, so long polls answer at once instead of holding the shutdown for their whole timeout.
import { setMaxListeners } from 'node:events';
import { Metadata, type CallOptions, type Server, type ServerUnaryCall } from '@grpc/grpc-js';
import type { CallContext } from '../context.js';

export const CORRELATION_ID_KEY = 'x-odin-correlation-id';
export const IDENTITY_KEY = 'x-odin-identity';

const shutdownControllers = new WeakMap<Server, AbortController>();

function shutdownController(server: Server): AbortController {
  let controller = shutdownControllers.get(server);
  if (!controller) {
    controller = new AbortController();
    // Every in-flight call listens on it; hundreds at once are expected, not a leak.
    setMaxListeners(0, controller.signal);
    shutdownControllers.set(server, controller);
  }
  return controller;
}

/** Aborted when `server` shuts down (abortServerCalls). */
export function serverShutdownSignal(server: Server): AbortSignal {
  return shutdownController(server).signal;
}

/**
 * Aborts the CallContext signal of every in-flight and future internal call on `server`. Call it when shutting the
 * server down (startInternalServer's stop() does), before tryShutdown/forceShutdown.
 */
export function abortServerCalls(server: Server): void {
  shutdownController(server).abort(new Error('server is shutting down'));
}

// ASCII metadata values allow only printable ASCII; identities may hold anything, so other characters (and '%'
// itself, to keep decoding unambiguous) are percent-encoded.
function encodeHeaderValue(value: string): string {
  return value.replace(/[^ -$&-~]+/gu, (run) => encodeURIComponent(run));
}

function decodeHeaderValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function headerValue(metadata: Metadata, key: string): string | undefined {
  const [value] = metadata.get(key);
  return typeof value === 'string' ? decodeHeaderValue(value) : undefined;
}

/** The handler-side context of a unary call; `dispose` detaches its listeners once the handler settled. */
export function serverCallContext(
  server: Server,
  call: ServerUnaryCall<unknown, unknown>,
): { ctx: CallContext; dispose(): void } {
  const controller = new AbortController();
  const onCancelled = (): void => controller.abort(new Error('the caller cancelled the call'));
  const shutdown = shutdownController(server).signal;
  const onShutdown = (): void => controller.abort(shutdown.reason);
  call.on('cancelled', onCancelled);
  if (shutdown.aborted) onShutdown();
  else shutdown.addEventListener('abort', onShutdown, { once: true });

  const raw = call.getDeadline();
  const deadlineMs = raw instanceof Date ? raw.getTime() : raw;
  const ctx: CallContext = {
    signal: controller.signal,
    ...(Number.isFinite(deadlineMs) ? { deadline: deadlineMs } : {}),
    ...optional('correlationId', headerValue(call.metadata, CORRELATION_ID_KEY)),
    ...optional('identity', headerValue(call.metadata, IDENTITY_KEY)),
  };
  return {
    ctx,
    dispose() {
      call.removeListener('cancelled', onCancelled);
      shutdown.removeEventListener('abort', onShutdown);
    },
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]: string });
}

/** Metadata and call options for a client call made on behalf of `ctx`. */
export function clientCallOptions(ctx: CallContext): { metadata: Metadata; options: CallOptions } {
  const metadata = new Metadata();
  if (ctx.correlationId !== undefined) metadata.set(CORRELATION_ID_KEY, encodeHeaderValue(ctx.correlationId));
  if (ctx.identity !== undefined) metadata.set(IDENTITY_KEY, encodeHeaderValue(ctx.identity));
  return { metadata, options: ctx.deadline === undefined ? {} : { deadline: ctx.deadline } };
}

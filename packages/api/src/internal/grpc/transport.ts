// The unary-call plumbing shared by the history and matching transports: one binding table per interface turns
// into a grpc-js service (server side) and into an object implementing the interface (client side).
import {
  Client,
  type ChannelCredentials,
  type Metadata,
  type ChannelOptions,
  type ServiceError as GrpcError,
  type Server,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
  credentials as grpcCredentials,
} from '@grpc/grpc-js';
import type { Type } from 'protobufjs';
import { ServiceError } from '../../service-error.js';
import {
  activeCarrier,
  contextFromCarrier,
  inServerSpan,
  requestAttributes,
  rpcTracing,
  TraceAttributes,
} from '../../tracing.js';
import { type InternalTls, internalChannel } from '../../tls/credentials.js';
import type { CallContext, NamespaceRef } from '../context.js';
import { clientCallOptions, serverCallContext } from './call-context.js';
import { type MethodBinding, namespaceFromWire, namespaceToWire, type WireMessage } from './codecs.js';
import { errorToStatus, grpcErrorToServiceError } from './errors.js';
import { rpcTypes } from './protos.js';

/** Histories can be large; both directions accept messages up to this size. */
export const MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

// Channelz stays on (its per-call bookkeeping shows in profiles): grpc-js 1.14 tracks the sessions forceShutdown
// must destroy only through it, so without it a bounded stop would wait for calls that ignore their abort.
export const CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
};

export interface InternalClientOptions {
  /** Mutual TLS with reloadable material, the server checked against the CA bundle and `serverName`. */
  readonly tls?: InternalTls;
  /** Explicit credentials (tests); default plaintext, or those of `tls`. */
  readonly credentials?: ChannelCredentials;
}

/** Interface method name → its binding; the RPC is the method name in PascalCase. */
export type BindingTable = Record<string, MethodBinding<never>>;

type AnyImpl = Record<string, (ns: NamespaceRef, req: unknown, ctx: CallContext) => Promise<unknown>>;

export function rpcName(method: string): string {
  return method.charAt(0).toUpperCase() + method.slice(1);
}

function encode(type: Type, value: unknown): Buffer {
  return Buffer.from(type.encode(type.fromObject((value ?? {}) as Record<string, unknown>)).finish());
}

function methodDefinition(serviceName: string, method: string): ServiceDefinition[string] {
  const { path, requestType, responseType } = rpcTypes(serviceName, rpcName(method));
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: unknown) => encode(requestType, value),
    requestDeserialize: (bytes: Buffer) => requestType.decode(bytes),
    responseSerialize: (value: unknown) => encode(responseType, value),
    responseDeserialize: (bytes: Buffer) => responseType.decode(bytes),
    originalName: method,
  };
}

/** Registers `impl` on `server` as the internal service `serviceName`, one unary handler per binding. */
export function addInternalService(
  server: Server,
  serviceName: string,
  bindings: BindingTable,
  impl: object,
): void {
  const target = impl as AnyImpl;
  const definition: Record<string, ServiceDefinition[string]> = {};
  const handlers: Record<
    string,
    (call: ServerUnaryCall<WireMessage, unknown>, cb: sendUnaryData<unknown>) => void
  > = {};
  for (const [method, binding] of Object.entries(bindings)) {
    definition[method] = methodDefinition(serviceName, method);
    handlers[method] = (call, callback) => {
      const { ctx, dispose } = serverCallContext(server, call as ServerUnaryCall<unknown, unknown>);
      let result: Promise<unknown>;
      try {
        const wire = call.request;
        const fn = target[method];
        if (typeof fn !== 'function') throw ServiceError.unimplemented(`${serviceName}.${rpcName(method)}`);
        const ns = namespaceFromWire(wire);
        const request = binding.request.fromWire(wire);
        result = rpcTracing.active
          ? inServerSpan(
              {
                service: serviceName,
                method: rpcName(method),
                parent: contextFromCarrier(traceCarrierOf(call.metadata)),
                attributes: { ...requestAttributes(request), [TraceAttributes.namespace]: ns.name },
              },
              () => fn.call(target, ns, request, ctx),
            )
          : fn.call(target, ns, request, ctx);
      } catch (error) {
        result = Promise.reject(error);
      }
      result.then(
        (response) => {
          dispose();
          callback(null, binding.empty ? {} : response);
        },
        (error: unknown) => {
          dispose();
          callback(errorToStatus(error));
        },
      );
    };
  }
  server.addService(definition as ServiceDefinition, handlers as never);
}

const TRACE_KEYS = ['traceparent', 'tracestate'] as const;

/** The W3C trace context entries of a call's metadata. */
export function traceCarrierOf(metadata: Metadata): Record<string, string> {
  const carrier: Record<string, string> = {};
  for (const key of TRACE_KEYS) {
    const [value] = metadata.get(key);
    if (typeof value === 'string') carrier[key] = value;
  }
  return carrier;
}

/** An object with one method per binding that calls `serviceName` at `address`, plus close(). */
export function createInternalClient(
  address: string,
  serviceName: string,
  bindings: BindingTable,
  options: InternalClientOptions = {},
): Record<string, (ns: NamespaceRef, req: unknown, ctx: CallContext) => Promise<unknown>> & {
  close(): void;
} {
  const secure = options.tls ? internalChannel(options.tls) : undefined;
  const client = new Client(
    address,
    options.credentials ?? secure?.credentials ?? grpcCredentials.createInsecure(),
    { ...CHANNEL_OPTIONS, ...secure?.options },
  );
  const methods: Record<string, (ns: NamespaceRef, req: unknown, ctx: CallContext) => Promise<unknown>> = {};
  for (const [method, binding] of Object.entries(bindings)) {
    const def = methodDefinition(serviceName, method);
    methods[method] = (ns, req, ctx) =>
      new Promise((resolve, reject) => {
        if (ctx.signal.aborted) {
          reject(ServiceError.canceled(`${rpcName(method)} was cancelled before it was sent`));
          return;
        }
        const wire = { namespace: namespaceToWire(ns), ...binding.request.toWire(req as never) };
        const { metadata, options: callOptions } = clientCallOptions(ctx);
        // The caller's span becomes the parent of the callee's server span (W3C trace context in metadata).
        for (const [key, value] of Object.entries(activeCarrier())) metadata.set(key, value);
        const onAbort = (): void => call.cancel();
        const call = client.makeUnaryRequest(
          def.path,
          def.requestSerialize,
          def.responseDeserialize,
          wire,
          metadata,
          callOptions,
          (error: GrpcError | null, response?: unknown) => {
            ctx.signal.removeEventListener('abort', onAbort);
            if (error) reject(grpcErrorToServiceError(error));
            else resolve(binding.empty ? undefined : response);
          },
        );
        ctx.signal.addEventListener('abort', onAbort, { once: true });
      });
  }
  return Object.assign(methods, { close: () => client.close() });
}

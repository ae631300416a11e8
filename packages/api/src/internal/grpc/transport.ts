// The unary-call plumbing shared by the history and matching transports: one binding table per interface turns
// into a grpc-js service (server side) and into an object implementing the interface (client side).
import {
  Client,
  type ChannelCredentials,
  type Metadata,
  type ChannelOptions,
  type ServiceError as GrpcError,
  type Server,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
  credentials as grpcCredentials,
} from '@grpc/grpc-js';
import type { Type } from 'protobufjs';
import { ownedBuffer } from '../../owned-bytes.js';
import { lazilyDecoded, passedOnBytes } from '../../passed-on.js';
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
import { clientCallOptions, serverCallContext, serverShutdownSignal } from './call-context.js';
import { type MethodBinding, namespaceFromWire, namespaceToWire, type WireMessage } from './codecs.js';
import { errorToStatus, grpcErrorToServiceError } from './errors.js';
import { MuxClient, MuxUnsupportedError, muxMethodDefinition, serveMuxStream } from './mux.js';
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

/** Encodes `value` as `type`, or sends the bytes it was decoded from when it is handed on unchanged. */
function encode(type: Type, value: unknown): Buffer {
  return (
    passedOnBytes(type, value) ??
    Buffer.from(type.encode(type.fromObject((value ?? {}) as Record<string, unknown>)).finish())
  );
}

/**
 * Encodes a request of an internal RPC. A Temporal request the frontend forwards unchanged (asReceived) goes in as
 * the bytes the client sent: an embedded message is a length-delimited field, the same on the wire as bytes, and
 * protobuf reads a message's fields in any order, so the wrapper's other fields are encoded and the request's field
 * appended.
 */
function encodeRequest(type: Type, value: Record<string, unknown>): Buffer {
  const field = type.fields.request;
  // An enum's resolved type never matches a message's bytes: passedOnBytes compares the type.
  const passed = field?.resolvedType ? passedOnBytes(field.resolvedType as Type, value.request) : undefined;
  if (field === undefined || passed === undefined) return encode(type, value);
  const { request: _sent, ...rest } = value;
  const writer = type.encode(type.fromObject(rest));
  const bytes = writer
    .uint32((field.id << 3) | WIRE_LENGTH_DELIMITED)
    .bytes(passed)
    .finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The protobuf wire type of bytes, strings and embedded messages. */
const WIRE_LENGTH_DELIMITED = 2;

function methodDefinition(serviceName: string, method: string): ServiceDefinition[string] {
  const { path, requestType, responseType } = rpcTypes(serviceName, rpcName(method));
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: unknown) => encodeRequest(requestType, value as Record<string, unknown>),
    // A request's payloads may be kept long by the role that serves it (history's run cache): decoded from a copy
    // of their own, not from a view into the stream's buffers (see ownedBuffer).
    requestDeserialize: (bytes: Buffer) => requestType.decode(ownedBuffer(bytes)),
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
  const handlers: Record<string, unknown> = {};
  const defs = new Map<string, { def: ServiceDefinition[string]; binding: MethodBinding<never> }>();
  /** Runs one call of `method` on `impl`; resolves with the (plain or protobuf) response message. */
  const invoke = (
    method: string,
    binding: MethodBinding<never>,
    wire: WireMessage,
    ctx: CallContext,
    carrier: () => Record<string, string>,
  ): Promise<unknown> => {
    const fn = target[method];
    if (typeof fn !== 'function') throw ServiceError.unimplemented(`${serviceName}.${rpcName(method)}`);
    const ns = namespaceFromWire(wire);
    const request = binding.request.fromWire(wire);
    const result = rpcTracing.active
      ? inServerSpan(
          {
            service: serviceName,
            method: rpcName(method),
            parent: contextFromCarrier(carrier()),
            attributes: { ...requestAttributes(request), [TraceAttributes.namespace]: ns.name },
          },
          () => fn.call(target, ns, request, ctx),
        )
      : fn.call(target, ns, request, ctx);
    return binding.empty ? result.then(() => ({})) : result;
  };
  for (const [method, binding] of Object.entries(bindings)) {
    const def = methodDefinition(serviceName, method);
    definition[method] = def;
    defs.set(method, { def, binding });
    handlers[method] = (call: ServerUnaryCall<WireMessage, unknown>, callback: sendUnaryData<unknown>) => {
      const { ctx, dispose } = serverCallContext(server, call as ServerUnaryCall<unknown, unknown>);
      let result: Promise<unknown>;
      try {
        result = invoke(method, binding, call.request, ctx, () => traceCarrierOf(call.metadata));
      } catch (error) {
        result = Promise.reject(error);
      }
      result.then(
        (response) => {
          dispose();
          callback(null, response);
        },
        (error: unknown) => {
          dispose();
          callback(errorToStatus(error));
        },
      );
    };
  }
  // Every call of createInternalClient travels on this one (see mux.ts); the unary handlers above stay for other
  // callers (e.g. a peer of an older version during a rolling upgrade).
  definition.odinMux = muxMethodDefinition(serviceName);
  const shutdown = serverShutdownSignal(server);
  handlers.odinMux = (stream: ServerDuplexStream<Buffer, Buffer>) =>
    serveMuxStream(
      stream,
      async (method, bytes, ctx, carrier) => {
        const entry = defs.get(method);
        if (!entry) throw ServiceError.unimplemented(`${serviceName}.${rpcName(method)}`);
        const wire = entry.def.requestDeserialize(bytes) as WireMessage;
        const response = await invoke(method, entry.binding, wire, ctx, () => carrier);
        return entry.def.responseSerialize(response);
      },
      shutdown,
    );
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
  const mux = new MuxClient(client, serviceName);
  /**
   * One call on a stream of its own: for a peer of an older version (no multiplexing RPC) during a rolling upgrade,
   * so a mixed cluster keeps serving until every process runs the new version.
   */
  const unary = (path: string, request: Buffer, decode: (bytes: Buffer) => unknown, ctx: CallContext) =>
    new Promise<unknown>((resolve, reject) => {
      const { metadata, options: callOptions } = clientCallOptions(ctx);
      for (const [key, value] of Object.entries(activeCarrier())) metadata.set(key, value);
      const onAbort = (): void => call.cancel();
      const call = client.makeUnaryRequest(
        path,
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes,
        request,
        metadata,
        callOptions,
        (error: GrpcError | null, response?: Buffer) => {
          ctx.signal.removeEventListener('abort', onAbort);
          if (error) reject(grpcErrorToServiceError(error));
          else {
            try {
              resolve(decode(response ?? Buffer.alloc(0)));
            } catch (decodeError) {
              reject(decodeError);
            }
          }
        },
      );
      ctx.signal.addEventListener('abort', onAbort, { once: true });
    });
  const methods: Record<string, (ns: NamespaceRef, req: unknown, ctx: CallContext) => Promise<unknown>> = {};
  for (const [method, binding] of Object.entries(bindings)) {
    const def = methodDefinition(serviceName, method);
    const { responseType } = rpcTypes(serviceName, rpcName(method));
    const decode = binding.empty
      ? () => undefined
      : binding.passOn
        ? (bytes: Buffer) => lazilyDecoded(responseType, bytes)
        : def.responseDeserialize;
    methods[method] = (ns, req, ctx) => {
      if (ctx.signal.aborted) {
        return Promise.reject(ServiceError.canceled(`${rpcName(method)} was cancelled before it was sent`));
      }
      const wire = { namespace: namespaceToWire(ns), ...binding.request.toWire(req as never) };
      const request = def.requestSerialize(wire);
      if (mux.unsupported) return unary(def.path, request, decode, ctx);
      return mux.call(method, request, decode, ctx).catch((error: unknown) => {
        if (error instanceof MuxUnsupportedError) return unary(def.path, request, decode, ctx);
        throw error;
      });
    };
  }
  return Object.assign(methods, {
    close: () => {
      mux.close();
      client.close();
    },
  });
}

// Internal calls multiplexed over one long-lived bidirectional gRPC stream per client and service, instead of one
// HTTP/2 stream per call. A unary call costs a stream of its own: request headers (path, deadline, content type,
// metadata) built, HPACK-encoded and parsed, trailers, and grpc-js's per-call objects on both sides, which profiles
// of the split cluster showed as the largest part of each role's CPU. On one stream a call is one frame, and the
// frames a process writes to a stream in one turn of its event loop leave as one BATCH message once the peer said
// it reads them (MUX_BATCH_METADATA in the stream's headers, both ways): under load a turn carries many (a group
// commit answers all its calls at once), and each message costs grpc-js and node's streams the same on both sides.
//
// Frames as in ../../mux-frame.ts. Headers on this stream:
//   CALL    { m: method, d?: ms left, c?: correlation id, u?: identity, t?: trace carrier }, body = the RPC's request
//           message (its protobuf encoding, as the unary RPC sends it)
//   ERROR   { s: status code, e: message, k?: detail metadata key }, body = detail bytes
// Deadlines are enforced by the client (it fails the call with DEADLINE_EXCEEDED and sends CANCEL), cancellation is
// CANCEL, a stream that breaks fails its pending calls with UNAVAILABLE (callers retry on the owner: see
// packages/cluster/src/routing/owner-call.ts) and aborts the server side of its calls. A stopping server answers its
// in-flight calls, then ends each stream, so the client opens a new one (to the new owner) for the next call.
import {
  type Client,
  type ClientDuplexStream,
  Metadata,
  type ServerDuplexStream,
  type ServiceDefinition,
  type ServiceError as GrpcError,
  status,
} from '@grpc/grpc-js';
import { MuxFrameBatcher } from '../../mux-batcher.js';
import {
  encodeMuxFrame,
  MUX_BATCH_METADATA,
  MUX_CALL,
  MUX_CANCEL,
  MUX_ERROR,
  MUX_OK,
  type MuxFrame,
  muxFrameHeader,
  parseMuxFrames,
} from '../../mux-frame.js';
import { ServiceError } from '../../service-error.js';
import { activeCarrier } from '../../tracing.js';
import type { CallContext } from '../context.js';
import { ERROR_DETAIL_JSON_KEY, ERROR_DETAIL_KEY, errorToStatus, grpcErrorToServiceError } from './errors.js';

/** The multiplexing RPC's name inside each internal service (not in the .proto: its messages are raw frames). */
export const MUX_RPC = 'OdinMux';

const EMPTY = Buffer.alloc(0);
const identity = (bytes: Buffer): Buffer => bytes;

/** The service-definition entry of the multiplexing RPC of `serviceName`. */
export function muxMethodDefinition(serviceName: string): ServiceDefinition[string] {
  return {
    path: `/${serviceName}/${MUX_RPC}`,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
    originalName: 'odinMux',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Client side

interface Pending {
  readonly decode: (bytes: Buffer) => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal;
  readonly onAbort: () => void;
  timer: NodeJS.Timeout | undefined;
}

type Stream = ClientDuplexStream<Buffer, Buffer>;

/**
 * Why a call did not go out on the stream: the peer serves no multiplexing RPC (a peer of an older version during a
 * rolling upgrade). The call never reached a handler, so the caller may send it again as a unary call.
 */
export class MuxUnsupportedError extends Error {}

/** One client's multiplexed stream to one internal service; opened on the first call and again after it ends. */
export class MuxClient {
  readonly #client: Client;
  readonly #path: string;
  readonly #pending = new Map<number, Pending>();
  #stream: Stream | undefined;
  #writer: MuxFrameBatcher | undefined;
  #nextId = 1;
  #closed = false;
  #unsupported = false;

  constructor(client: Client, serviceName: string) {
    this.#client = client;
    this.#path = `/${serviceName}/${MUX_RPC}`;
  }

  /** True once the peer answered the stream with UNIMPLEMENTED: calls go unary from then on. */
  get unsupported(): boolean {
    return this.#unsupported;
  }

  /**
   * Sends `request` (already encoded) as `method` and resolves with `decode` of the answer. Rejects with
   * MuxUnsupportedError when the peer has no multiplexing RPC.
   */
  call(
    method: string,
    request: Uint8Array,
    decode: (bytes: Buffer) => unknown,
    ctx: CallContext,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.#closed) {
        reject(ServiceError.unavailable('the internal client is closed'));
        return;
      }
      if (this.#unsupported) {
        reject(new MuxUnsupportedError(MUX_RPC));
        return;
      }
      const header: Record<string, unknown> = { m: method };
      if (ctx.deadline !== undefined) {
        const left = ctx.deadline - Date.now();
        if (left <= 0) {
          reject(ServiceError.deadlineExceeded(`${method}: the deadline passed before the call was sent`));
          return;
        }
        header.d = left;
      }
      if (ctx.correlationId !== undefined) header.c = ctx.correlationId;
      if (ctx.identity !== undefined) header.u = ctx.identity;
      const carrier = activeCarrier();
      if (carrier.traceparent !== undefined) header.t = carrier;
      const id = this.#nextId;
      this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
      const pending: Pending = {
        decode,
        resolve,
        reject,
        signal: ctx.signal,
        onAbort: () => this.#cancel(id, ServiceError.canceled(`${method} was cancelled`)),
        timer: undefined,
      };
      this.#pending.set(id, pending);
      if (typeof header.d === 'number') {
        pending.timer = setTimeout(
          () => this.#cancel(id, ServiceError.deadlineExceeded(`${method}: deadline exceeded`)),
          header.d,
        );
      }
      ctx.signal.addEventListener('abort', pending.onAbort, { once: true });
      this.#open().push(encodeMuxFrame(MUX_CALL, id, header, request));
    });
  }

  /** Fails every pending call with UNAVAILABLE and closes the stream; later calls fail at once. */
  close(): void {
    this.#closed = true;
    const stream = this.#stream;
    this.#stream = undefined;
    this.#writer?.close();
    this.#writer = undefined;
    this.#failAll(ServiceError.unavailable('the internal client is closed'));
    stream?.cancel();
  }

  /** The writer of the open stream, opening one when there is none. */
  #open(): MuxFrameBatcher {
    if (this.#stream && this.#writer) return this.#writer;
    const metadata = new Metadata();
    metadata.set(MUX_BATCH_METADATA, '1');
    const stream = this.#client.makeBidiStreamRequest(this.#path, identity, identity, metadata, {});
    const writer = new MuxFrameBatcher((bytes) => stream.write(bytes));
    this.#stream = stream;
    this.#writer = writer;
    stream.on('metadata', (answer: Metadata) => {
      if (answer.get(MUX_BATCH_METADATA)[0] === '1') writer.enableBatching();
    });
    stream.on('data', (bytes: Buffer) => {
      for (const frame of parseMuxFrames(bytes) ?? []) this.#answer(frame);
    });
    const ended = (error: ServiceError | MuxUnsupportedError): void => {
      if (this.#stream !== stream) return;
      this.#stream = undefined;
      this.#writer = undefined;
      writer.close();
      this.#failAll(error);
    };
    stream.on('error', (error: GrpcError) => {
      if (error.code === status.UNIMPLEMENTED) {
        // Its calls were never read by a handler: the peer does not know the RPC at all.
        this.#unsupported = true;
        ended(new MuxUnsupportedError(MUX_RPC));
        return;
      }
      const converted = grpcErrorToServiceError(error);
      // A stream the server cancelled (its forced shutdown) is the transport's failure, not the call's: UNAVAILABLE
      // lets callers retry elsewhere. Other statuses (UNAVAILABLE, UNAUTHENTICATED from the peer check) stay.
      ended(
        converted.code === status.CANCELLED || converted.code === status.OK
          ? ServiceError.unavailable(`the internal stream failed: ${converted.message}`)
          : converted,
      );
    });
    stream.on('end', () => ended(ServiceError.unavailable('the internal stream was closed by the server')));
    return writer;
  }

  #answer(message: MuxFrame): void {
    const pending = this.#take(message.id);
    if (!pending) return;
    if (message.kind === MUX_OK) {
      try {
        pending.resolve(pending.decode(message.body));
      } catch (error) {
        pending.reject(error);
      }
      return;
    }
    const head = muxFrameHeader(message);
    const metadata = new Metadata();
    if (head.k === ERROR_DETAIL_KEY || head.k === ERROR_DETAIL_JSON_KEY)
      metadata.set(head.k, Buffer.from(message.body));
    pending.reject(
      grpcErrorToServiceError({
        code: head.s as number,
        details: String(head.e ?? ''),
        metadata,
      } as GrpcError),
    );
  }

  #take(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    if (!pending) return undefined;
    this.#pending.delete(id);
    if (pending.timer) clearTimeout(pending.timer);
    pending.signal.removeEventListener('abort', pending.onAbort);
    return pending;
  }

  #cancel(id: number, error: ServiceError): void {
    const pending = this.#take(id);
    if (!pending) return;
    pending.reject(error);
    this.#writer?.push(encodeMuxFrame(MUX_CANCEL, id, undefined, EMPTY));
  }

  #failAll(error: ServiceError | MuxUnsupportedError): void {
    for (const id of [...this.#pending.keys()]) this.#take(id)?.reject(error);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Server side

/** What the server does with one call: its method, encoded request and context; resolves with the encoded answer. */
export type MuxInvoke = (
  method: string,
  request: Buffer,
  ctx: CallContext,
  carrier: Record<string, string>,
) => Promise<Uint8Array>;

/**
 * Serves one multiplexed stream: every CALL runs `invoke` concurrently and is answered in the order calls finish.
 * `shutdown` aborts every call's signal; the stream then ends once its last call answered.
 */
export function serveMuxStream(
  stream: ServerDuplexStream<Buffer, Buffer>,
  invoke: MuxInvoke,
  shutdown: AbortSignal,
): void {
  const calls = new Map<number, AbortController>();
  let closed = false;
  let draining = false;
  const writer = new MuxFrameBatcher((bytes) => stream.write(bytes));
  if (stream.metadata.get(MUX_BATCH_METADATA)[0] === '1') {
    const answer = new Metadata();
    answer.set(MUX_BATCH_METADATA, '1');
    stream.sendMetadata(answer);
    writer.enableBatching();
  }
  const finishIfDrained = (): void => {
    if (draining && !closed && calls.size === 0) {
      writer.flush();
      closed = true;
      writer.close();
      stream.end();
    }
  };
  const abortAll = (reason: Error): void => {
    for (const controller of calls.values()) controller.abort(reason);
  };
  const onShutdown = (): void => {
    draining = true;
    abortAll(shutdown.reason instanceof Error ? shutdown.reason : new Error('server is shutting down'));
    finishIfDrained();
  };
  const gone = (): void => {
    if (closed) return;
    closed = true;
    writer.close();
    shutdown.removeEventListener('abort', onShutdown);
    abortAll(new Error('the caller closed the stream'));
  };
  stream.on('cancelled', gone);
  stream.on('error', gone);
  stream.on('close', gone);
  // The client half-closed: answer what is in flight, then end.
  stream.on('end', () => {
    draining = true;
    finishIfDrained();
  });
  if (shutdown.aborted) onShutdown();
  else shutdown.addEventListener('abort', onShutdown, { once: true });

  const send = (bytes: Buffer): void => {
    if (!closed) writer.push(bytes);
  };
  const onFrame = (message: MuxFrame): void => {
    if (message.kind === MUX_CANCEL) {
      calls.get(message.id)?.abort(new Error('the caller cancelled the call'));
      return;
    }
    if (message.kind !== MUX_CALL) return;
    const { id } = message;
    if (draining) {
      send(errorFrame(id, ServiceError.unavailable('the server is shutting down')));
      return;
    }
    const head = muxFrameHeader(message);
    const controller = new AbortController();
    calls.set(id, controller);
    const ctx: CallContext = {
      signal: controller.signal,
      ...(typeof head.d === 'number' ? { deadline: Date.now() + head.d } : {}),
      ...(typeof head.c === 'string' ? { correlationId: head.c } : {}),
      ...(typeof head.u === 'string' ? { identity: head.u } : {}),
    };
    let result: Promise<Uint8Array>;
    try {
      result = invoke(String(head.m ?? ''), message.body, ctx, (head.t ?? {}) as Record<string, string>);
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (body) => {
        if (calls.delete(id)) send(encodeMuxFrame(MUX_OK, id, undefined, body));
        finishIfDrained();
      },
      (error: unknown) => {
        if (calls.delete(id)) send(errorFrame(id, error));
        finishIfDrained();
      },
    );
  };
  stream.on('data', (bytes: Buffer) => {
    for (const frame of parseMuxFrames(bytes) ?? []) onFrame(frame);
  });
}

function errorFrame(id: number, error: unknown): Buffer {
  const { code, details, metadata } = errorToStatus(error);
  let key: string | undefined;
  let body: Buffer = EMPTY;
  for (const candidate of [ERROR_DETAIL_KEY, ERROR_DETAIL_JSON_KEY]) {
    const [value] = metadata?.get(candidate) ?? [];
    if (value instanceof Buffer) {
      key = candidate;
      body = value;
      break;
    }
  }
  const header = { s: code ?? status.UNKNOWN, e: details ?? '', ...(key ? { k: key } : {}) };
  return encodeMuxFrame(MUX_ERROR, id, header, body);
}

// The client port's multiplexed call stream (CLIENT_MUX_PATH, frames as in @odin/api's mux-frame.ts): `@odin/sdk`
// sends its unary calls as frames on one long-lived stream per connection instead of one HTTP/2 stream each. Per
// call that saves the stream's request headers, response headers and trailers (built, HPACK-coded and parsed on both
// sides) and node:http2's per-stream objects: in CPU profiles of W1 through `@odin/sdk` (docs/performance.md),
// node's HTTP/2 code was ~21 % of the SDK process's busy time and ~8 % of the server's.
//
// Each call runs the same unary handler as on its own stream (authorization, limits, metrics, tracing, the
// deadline and cancellation through its IncomingCall), with the stream's request headers as its metadata and the
// call's own metadata (the CALL header's `h`) over them. Headers on this stream:
//   CALL   { p: '/package.Service/Method', d?: ms until the deadline, h?: metadata of this call (lower-case names) }
//   ERROR  { s: status code, e: message }, body = grpc-status-details-bin, if the status has one
// A call's request may be at most the port's request limit; the stream reads frames of up to the larger of that
// limit and MUX_MAX_REQUEST_BYTES (the most a client sends on the stream) plus room for the header, so that an
// oversized call is answered on its own rather than failing the stream. The server ends the stream with its trailers
// (a stop, an idle GOAWAY, a frame it cannot read); the stream closes once the client half-closes too, which
// `@odin/sdk` does when the server's side ends. A client that does not is reset at the end of a stop's grace.
// A client whose request headers say it reads BATCH messages (MUX_BATCH_METADATA) gets the same in the response
// headers, and the answers of one turn of the event loop as one message; any client may send batches.
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { PeerCertificate } from 'node:tls';
import { status } from '@grpc/grpc-js';
import {
  encodeMuxMessage,
  MUX_BATCH_METADATA,
  MUX_CALL,
  MUX_CANCEL,
  MUX_ERROR,
  MUX_HEADER_ALLOWANCE,
  MUX_MAX_REQUEST_BYTES,
  MUX_OK,
  type MuxFrame,
  MuxFrameBatcher,
  muxFrameHeader,
  parseMuxFrames,
} from '@odin/api/public';
import { MAX_TIMER_DELAY_MS } from '@odin/hugo';
import {
  type CallLimits,
  gone,
  type IncomingCall,
  ignore,
  LazyCallSignal,
  type MethodHandler,
  sendOkTrailers,
  sentTooLarge,
} from './calls.js';
import { MessageReader, receivedTooLarge } from './framing.js';
import type { SessionState } from './sessions.js';
import { GrpcStatusError, RESPONSE_HEADERS, statusOf, statusTrailers } from './status.js';

const EMPTY = Buffer.alloc(0);
const STATE = Symbol('mux stream');
type Stream = ServerHttp2Stream & { [STATE]?: MuxStream };

/** One call on a multiplexed stream, as its handler sees it. */
class MuxCall extends LazyCallSignal implements IncomingCall {
  readonly owner: MuxStream;
  readonly id: number;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly deadline: number | undefined;
  timer: NodeJS.Timeout | undefined;

  constructor(
    owner: MuxStream,
    id: number,
    path: string,
    headers: IncomingHttpHeaders,
    deadline: number | undefined,
  ) {
    super();
    this.owner = owner;
    this.id = id;
    this.path = path;
    this.headers = headers;
    this.deadline = deadline;
  }

  peerCertificate(): PeerCertificate | undefined {
    return this.owner.session.peerCertificate();
  }

  /** The call is over before its handler answered: stop its timer and abort what it runs. */
  abort(reason: unknown): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.abortSignal(reason);
  }
}

/** The stream's headers with a CALL header's metadata over them: string values, no pseudo-headers. */
function mergedHeaders(stream: IncomingHttpHeaders, added: object): IncomingHttpHeaders {
  let merged: IncomingHttpHeaders | undefined;
  for (const [key, value] of Object.entries(added)) {
    if (typeof value !== 'string' || key.startsWith(':')) continue;
    merged ??= { ...stream };
    merged[key.toLowerCase()] = value;
  }
  return merged ?? stream;
}

/** Distinct call metadata a stream keeps merged headers for (a client sends the same few again and again). */
const MERGED_CACHE_SIZE = 16;

function errorFrame(id: number, failure: GrpcStatusError): Buffer {
  const details = failure.metadata?.['grpc-status-details-bin'];
  return encodeMuxMessage(
    MUX_ERROR,
    id,
    { s: failure.code, e: failure.details },
    details instanceof Buffer ? details : EMPTY,
  );
}

function onDeadline(call: MuxCall): void {
  call.timer = undefined;
  call.owner.expire(call);
}

/** One open multiplexed stream and its calls in flight. */
export class MuxStream {
  readonly stream: Stream;
  readonly headers: IncomingHttpHeaders;
  readonly session: SessionState;
  readonly #methods: ReadonlyMap<string, MethodHandler>;
  readonly #limits: CallLimits;
  readonly #reader: MessageReader;
  readonly #writer: MuxFrameBatcher;
  readonly #calls = new Map<number, MuxCall>();
  /**
   * Merged headers by the CALL header's metadata (its JSON): most calls add the same namespace, and copying the
   * stream's headers per call was 1.5 % of the server's CPU profile under W1. Handlers only read them.
   */
  readonly #merged = new Map<string, IncomingHttpHeaders>();
  /** No new calls: the server or the client is closing. The stream ends once its calls have answered. */
  #draining = false;
  /** The stream has its status, or is gone: nothing more goes out. */
  #ended = false;

  constructor(
    stream: Stream,
    headers: IncomingHttpHeaders,
    session: SessionState,
    methods: ReadonlyMap<string, MethodHandler>,
    limits: CallLimits,
  ) {
    this.stream = stream;
    this.headers = headers;
    this.session = session;
    this.#methods = methods;
    this.#limits = limits;
    this.#reader = new MessageReader(
      Math.max(limits.maxReceiveBytes, MUX_MAX_REQUEST_BYTES) + MUX_HEADER_ALLOWANCE,
    );
    this.#writer = new MuxFrameBatcher((bytes) => {
      if (!gone(this.stream)) this.stream.write(bytes);
    }, true);
  }

  /** The client reads BATCH messages: answers are batched from now on. */
  batchAnswers(): void {
    this.#writer.enableBatching();
  }

  /** Stops taking calls; the stream ends with status OK once the calls in flight have answered. */
  drain(): void {
    this.#draining = true;
    if (this.#calls.size === 0) this.#end();
  }

  /** The stream's DATA: CALL and CANCEL frames. */
  receive(chunk: Buffer): void {
    if (this.#ended) return;
    let messages: ReturnType<MessageReader['push']>;
    try {
      messages = this.#reader.push(chunk);
    } catch (error) {
      this.#fail(statusOf(error));
      return;
    }
    for (const message of messages) {
      const frames = message.compressed ? undefined : parseMuxFrames(message.bytes);
      if (!frames) {
        this.#fail(
          new GrpcStatusError(status.INTERNAL, 'Received a message that is not a multiplexed call frame'),
        );
        return;
      }
      for (const one of frames) {
        if (this.#ended) return;
        if (one.kind === MUX_CALL) this.#call(one);
        else if (one.kind === MUX_CANCEL) {
          const call = this.#calls.get(one.id);
          if (call) this.#forget(call).abort(this.#limits.abortReason());
        }
      }
    }
  }

  /** `call`'s deadline passed: what it runs is aborted (its answer, when it comes, is dropped) and it fails. */
  expire(call: MuxCall): void {
    call.abort(this.#limits.abortReason());
    this.finish(call, new GrpcStatusError(status.DEADLINE_EXCEEDED, 'Deadline exceeded'));
  }

  /** Answers `call` with a response or a failure, unless it was answered or cancelled already. */
  finish(call: MuxCall, outcome: Uint8Array | GrpcStatusError): void {
    if (this.#calls.get(call.id) !== call) return;
    this.#forget(call);
    if (call.timer) clearTimeout(call.timer);
    call.timer = undefined;
    if (outcome instanceof GrpcStatusError) {
      this.#send(errorFrame(call.id, outcome));
    } else if (outcome.byteLength > this.#limits.maxSendBytes) {
      this.#send(errorFrame(call.id, sentTooLarge(outcome, this.#limits.maxSendBytes)));
    } else {
      this.#send(encodeMuxMessage(MUX_OK, call.id, undefined, outcome));
    }
    if (this.#draining && this.#calls.size === 0) this.#end();
  }

  /** The stream closed (ended, reset, or its connection lost): every call still running is aborted. */
  closed(): void {
    this.#ended = true;
    this.#writer.close();
    this.session.muxStreams.delete(this);
    this.#abortAll();
  }

  #abortAll(): void {
    const reason = this.#limits.abortReason();
    for (const call of [...this.#calls.values()]) this.#forget(call).abort(reason);
  }

  #call(frame: MuxFrame): void {
    const id = frame.id;
    if (this.#calls.has(id)) {
      this.#fail(new GrpcStatusError(status.INTERNAL, `Received a second call with id ${id}`));
      return;
    }
    if (this.#draining) {
      this.#send(errorFrame(id, new GrpcStatusError(status.UNAVAILABLE, 'The server is shutting down')));
      return;
    }
    let head: Record<string, unknown>;
    try {
      head = muxFrameHeader(frame);
    } catch {
      this.#send(
        errorFrame(id, new GrpcStatusError(status.INTERNAL, 'Received a call header that is not JSON')),
      );
      return;
    }
    const path = typeof head.p === 'string' ? head.p : '';
    const method = this.#methods.get(path);
    if (method?.kind !== 'unary') {
      this.#send(
        errorFrame(
          id,
          new GrpcStatusError(status.UNIMPLEMENTED, `The server does not implement the method ${path}`),
        ),
      );
      return;
    }
    if (frame.body.length > this.#limits.maxReceiveBytes) {
      this.#send(errorFrame(id, receivedTooLarge(frame.body.length, this.#limits.maxReceiveBytes)));
      return;
    }
    const ms = typeof head.d === 'number' && head.d > 0 ? head.d : undefined;
    const call = new MuxCall(
      this,
      id,
      path,
      this.#headersOf(head.h),
      ms === undefined ? undefined : Date.now() + ms,
    );
    this.#calls.set(id, call);
    this.session.callStarted();
    // A deadline past setTimeout's range (~24.8 days) gets no timer: Node would fire such a timer at once.
    if (ms !== undefined && ms <= MAX_TIMER_DELAY_MS) call.timer = setTimeout(onDeadline, ms, call);
    let response: Promise<Uint8Array>;
    try {
      response = method.handler(frame.body, call);
    } catch (error) {
      this.finish(call, statusOf(error));
      return;
    }
    response.then(
      (bytes) => this.finish(call, bytes),
      (error: unknown) => this.finish(call, statusOf(error)),
    );
  }

  #headersOf(added: unknown): IncomingHttpHeaders {
    if (typeof added !== 'object' || added === null) return this.headers;
    // A trace context differs on every call: not worth a cache entry.
    if ('traceparent' in added) return mergedHeaders(this.headers, added);
    const key = JSON.stringify(added);
    let merged = this.#merged.get(key);
    if (merged === undefined) {
      merged = mergedHeaders(this.headers, added);
      if (this.#merged.size < MERGED_CACHE_SIZE) this.#merged.set(key, merged);
    }
    return merged;
  }

  /** Removes `call` from the calls in flight and from the session's count. */
  #forget(call: MuxCall): MuxCall {
    this.#calls.delete(call.id);
    this.session.callEnded();
    return call;
  }

  #send(bytes: Buffer): void {
    if (this.#ended || gone(this.stream)) return;
    this.#writer.push(bytes);
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#writer.flush();
    this.#writer.close();
    if (gone(this.stream)) return;
    this.stream.once('wantTrailers', sendOkTrailers);
    this.stream.end();
  }

  /** The stream cannot go on (a frame it cannot read): its status, and every call in flight aborted. */
  #fail(failure: GrpcStatusError): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#writer.flush();
    this.#writer.close();
    this.#abortAll();
    if (gone(this.stream)) return;
    this.stream.once('wantTrailers', () => this.stream.sendTrailers(statusTrailers(failure)));
    this.stream.end();
  }
}

function onData(this: Stream, chunk: Buffer): void {
  this[STATE]!.receive(chunk);
}

/** The client half-closed: answer what runs, then end. */
function onEnd(this: Stream): void {
  this[STATE]!.drain();
}

function onClose(this: Stream): void {
  this[STATE]!.closed();
}

/** Serves a multiplexed call stream: answers its headers at once (the client learns the server serves it). */
export function serveMuxStream(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  session: SessionState,
  methods: ReadonlyMap<string, MethodHandler>,
  limits: CallLimits,
): void {
  const mux = new MuxStream(stream, headers, session, methods, limits);
  (stream as Stream)[STATE] = mux;
  session.muxStreams.add(mux);
  stream.on('error', ignore);
  stream.on('close', onClose);
  if (headers[MUX_BATCH_METADATA] === '1') {
    stream.respond({ ...RESPONSE_HEADERS, [MUX_BATCH_METADATA]: '1' }, { waitForTrailers: true });
    mux.batchAnswers();
  } else stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
  stream.on('data', onData);
  stream.on('end', onEnd);
}

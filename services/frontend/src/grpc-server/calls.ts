// One gRPC call on one HTTP/2 stream: its request read (the single message of a unary or server-streaming call,
// with the size limit, the encoding and the deadline), its handler run once the client half-closed, and its answer
// (headers, message, trailers; a trailers-only response for an error before any message). The listeners are shared
// functions that find their call on the stream: no closures per call.
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { PeerCertificate } from 'node:tls';
import { MAX_TIMER_DELAY_MS } from '@odin/hugo';
import { decompress } from './compression.js';
import { type FramedMessage, frameMessage, MessageReader } from './framing.js';
import { timeoutMs } from './request-headers.js';
import type { SessionState } from './sessions.js';
import { status } from '@grpc/grpc-js';
import {
  GrpcStatusError,
  OK_TRAILERS,
  RESPONSE_HEADERS,
  statusOf,
  statusTrailers,
  trailersOnly,
} from './status.js';

/** What a handler knows of its call. */
export interface IncomingCall {
  /** `/package.Service/Method`. */
  readonly path: string;
  /** The request headers: the call's metadata (`-bin` values as sent, base64; see request-headers.ts). */
  readonly headers: IncomingHttpHeaders;
  /** Epoch ms of the client's deadline (`grpc-timeout`), if it gave one. */
  readonly deadline: number | undefined;
  /**
   * Aborted when the call ends before its handler answered: the client cancelled it (stream reset or closed), the
   * deadline passed, or the server was destroyed.
   */
  readonly signal: AbortSignal;
  /** The controller of `signal`: the handler may abort the call's work itself (a server stopping). */
  readonly controller: AbortController;
  /** The client certificate the TLS handshake verified (undefined on plaintext or without one). */
  peerCertificate(): PeerCertificate | undefined;
}

/** A unary handler: the request message's bytes in, the response message's bytes out; rejects with a status. */
export type UnaryHandler = (request: Buffer, call: IncomingCall) => Promise<Uint8Array>;

/** The sending side of a server-streaming call. */
export interface ServerStream extends IncomingCall {
  /** Whether the call has ended (answered, or closed by the client). */
  readonly ended: boolean;
  write(message: Uint8Array): void;
  /** Ends the call with status OK. */
  end(): void;
  fail(failure: GrpcStatusError): void;
}

/** A server-streaming handler: it writes messages and ends the call; `signal` tells it the call is gone. */
export type StreamHandler = (request: Buffer, call: ServerStream) => void;

export type MethodHandler =
  | { readonly kind: 'unary'; readonly handler: UnaryHandler }
  | { readonly kind: 'stream'; readonly handler: StreamHandler };

export interface CallLimits {
  readonly maxReceiveBytes: number;
  readonly maxSendBytes: number;
  /** The reason a cancelled call's signal is aborted with. */
  readonly abortReason: () => unknown;
}

const CALL = Symbol('grpc call');
type CallStream = ServerHttp2Stream & { [CALL]?: Call };

/** An 'error' listener that only keeps the error from being thrown: 'close' decides what a stream's end means. */
export function ignore(): void {}

/**
 * A call's abort signal, its controller made on first use: most calls finish without anything reading it. Shared
 * by a call on its own stream and one on a multiplexed stream (mux-stream.ts).
 */
export abstract class LazyCallSignal {
  #controller: AbortController | undefined;

  get controller(): AbortController {
    this.#controller ??= new AbortController();
    return this.#controller;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Aborts the signal, if it was ever made (nothing can listen to one that was not). */
  protected abortSignal(reason: unknown): void {
    this.#controller?.abort(reason);
  }
}

/** The call state of one stream. */
class Call extends LazyCallSignal implements ServerStream {
  readonly stream: CallStream;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly session: SessionState;
  readonly method: MethodHandler;
  readonly limits: CallLimits;
  readonly reader: MessageReader;
  deadline: number | undefined;
  timer: NodeJS.Timeout | undefined;
  message: FramedMessage | undefined;
  /** Set once the call has its status (answered, failed, or closed): nothing more goes out. */
  ended = false;
  /** Set while the handler runs and has not answered: only then does a close abort the signal. */
  running = false;
  headersSent = false;

  constructor(
    stream: CallStream,
    path: string,
    headers: IncomingHttpHeaders,
    session: SessionState,
    method: MethodHandler,
    limits: CallLimits,
  ) {
    super();
    this.stream = stream;
    this.path = path;
    this.headers = headers;
    this.session = session;
    this.method = method;
    this.limits = limits;
    this.reader = new MessageReader(limits.maxReceiveBytes);
  }

  peerCertificate(): PeerCertificate | undefined {
    return this.session.peerCertificate();
  }

  /** The call is over before its handler answered: abort what it runs. */
  cancel(): void {
    if (!this.running) return;
    this.running = false;
    this.abortSignal(this.limits.abortReason());
  }

  write(message: Uint8Array): void {
    if (this.ended || gone(this.stream)) return;
    if (message.byteLength > this.limits.maxSendBytes) {
      this.fail(sentTooLarge(message, this.limits.maxSendBytes));
      return;
    }
    if (!this.headersSent) {
      this.headersSent = true;
      this.stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    }
    this.stream.write(frameMessage(message));
  }

  end(): void {
    if (this.ended) return;
    this.running = false;
    if (!this.headersSent) {
      this.fail(new GrpcStatusError(status.OK, 'OK'));
      return;
    }
    this.#finish();
    if (gone(this.stream)) return;
    this.stream.once('wantTrailers', sendOkTrailers);
    this.stream.end();
  }

  /** Answers a unary call with its one message and status OK. */
  answer(message: Uint8Array): void {
    if (this.ended) return;
    this.running = false;
    if (message.byteLength > this.limits.maxSendBytes) {
      this.fail(sentTooLarge(message, this.limits.maxSendBytes));
      return;
    }
    this.#finish();
    if (gone(this.stream)) return;
    this.headersSent = true;
    this.stream.respond(RESPONSE_HEADERS, { waitForTrailers: true });
    this.stream.once('wantTrailers', sendOkTrailers);
    this.stream.end(frameMessage(message));
  }

  fail(failure: GrpcStatusError): void {
    if (this.ended) return;
    this.running = false;
    this.#finish();
    const stream = this.stream;
    if (gone(stream)) return;
    if (!this.headersSent) {
      this.headersSent = true;
      stream.respond(trailersOnly(failure), { endStream: true });
    } else {
      stream.once('wantTrailers', () => stream.sendTrailers(statusTrailers(failure)));
      stream.end();
    }
  }

  #finish(): void {
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** A stream reset or destroyed can take no answer (respond would throw). */
export function gone(stream: ServerHttp2Stream): boolean {
  return stream.destroyed || stream.closed;
}

/** A response over the port's send limit (grpc-js's status and message). */
export function sentTooLarge(message: Uint8Array, max: number): GrpcStatusError {
  return new GrpcStatusError(
    status.RESOURCE_EXHAUSTED,
    `Sent message larger than max (${message.byteLength + 5} vs. ${max})`,
  );
}

export function sendOkTrailers(this: ServerHttp2Stream): void {
  this.sendTrailers(OK_TRAILERS);
}

function onDeadline(call: Call): void {
  call.timer = undefined;
  // The work is aborted first (fail ends the call's running state); its answer, when it comes, is dropped.
  call.cancel();
  call.fail(new GrpcStatusError(status.DEADLINE_EXCEEDED, 'Deadline exceeded'));
}

function onData(this: CallStream, chunk: Buffer): void {
  const call = this[CALL]!;
  if (call.ended) return;
  let messages: FramedMessage[];
  try {
    messages = call.reader.push(chunk);
  } catch (error) {
    call.fail(statusOf(error));
    return;
  }
  for (const message of messages) {
    if (call.message !== undefined) {
      call.fail(
        new GrpcStatusError(
          status.UNIMPLEMENTED,
          `Received a second request message for server streaming method ${call.path}`,
        ),
      );
      return;
    }
    call.message = message;
  }
}

function onEnd(this: CallStream): void {
  const call = this[CALL]!;
  if (call.ended) return;
  const message = call.message;
  if (message === undefined) {
    call.fail(
      new GrpcStatusError(
        status.UNIMPLEMENTED,
        `Received no request message for server streaming method ${call.path}`,
      ),
    );
    return;
  }
  let request: Buffer | Promise<Buffer>;
  try {
    request = message.compressed
      ? decompress(encodingOf(call.headers), message.bytes, call.limits.maxReceiveBytes)
      : message.bytes;
  } catch (error) {
    call.fail(statusOf(error));
    return;
  }
  if (request instanceof Promise) {
    request.then(
      (bytes) => run(call, bytes),
      (error: unknown) => call.fail(statusOf(error)),
    );
  } else {
    run(call, request);
  }
}

function encodingOf(headers: IncomingHttpHeaders): string {
  const value = headers['grpc-encoding'];
  return typeof value === 'string' ? value : 'identity';
}

function answered(this: Call, response: Uint8Array): void {
  this.answer(response);
}

function failed(this: Call, error: unknown): void {
  this.fail(statusOf(error));
}

function run(call: Call, request: Buffer): void {
  if (call.ended) return;
  call.running = true;
  const method = call.method;
  if (method.kind === 'stream') {
    try {
      method.handler(request, call);
    } catch (error) {
      call.fail(statusOf(error));
    }
    return;
  }
  let response: Promise<Uint8Array>;
  try {
    response = method.handler(request, call);
  } catch (error) {
    call.fail(statusOf(error));
    return;
  }
  response.then(answered.bind(call), failed.bind(call));
}

function onClose(this: CallStream): void {
  const call = this[CALL]!;
  const state = call.session;
  state.callEnded();
  if (!call.ended) {
    call.ended = true;
    if (call.timer) clearTimeout(call.timer);
    call.timer = undefined;
  }
  call.cancel();
}

/**
 * Serves one stream of a known method: reads its request, runs the handler, answers. The stream's session state
 * counts it as active until it closes.
 */
export function serveCall(
  stream: ServerHttp2Stream,
  path: string,
  headers: IncomingHttpHeaders,
  session: SessionState,
  method: MethodHandler,
  limits: CallLimits,
): void {
  const call = new Call(stream, path, headers, session, method, limits);
  (stream as CallStream)[CALL] = call;
  session.callStarted();
  stream.on('error', ignore);
  stream.on('close', onClose);
  const timeout = headers['grpc-timeout'];
  if (typeof timeout === 'string') {
    let ms: number;
    try {
      ms = timeoutMs(timeout);
    } catch (error) {
      // grpc-js answers after its call is set up; the request is then drained and ignored.
      stream.on('data', ignore);
      call.fail(statusOf(error));
      return;
    }
    call.deadline = Date.now() + ms;
    // A deadline past setTimeout's range (~24.8 days) gets no timer: Node would fire such a timer at once.
    if (ms <= MAX_TIMER_DELAY_MS) call.timer = setTimeout(onDeadline, ms, call);
  }
  stream.on('data', onData);
  stream.on('end', onEnd);
}

/** Counts a stream answered without a call (unknown method, wrong content type) on its session until it closes. */
export function countStream(stream: ServerHttp2Stream, session: SessionState): void {
  session.callStarted();
  stream.on('error', ignore);
  // Whatever the client still sends is read and dropped, so the stream closes once the client is done.
  stream.resume();
  stream.once('close', () => {
    session.callEnded();
  });
}

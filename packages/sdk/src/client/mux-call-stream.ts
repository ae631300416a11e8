// Unary calls as frames on one long-lived stream of an HTTP/2 session (the frontend's multiplexed call stream,
// CLIENT_MUX_PATH; frames and headers as services/frontend/src/grpc-server/mux-stream.ts reads them) instead of one
// HTTP/2 stream per call: a CPU profile of W1 through @odin/sdk showed node's HTTP/2 code (a stream, its headers and
// its trailers per call) at ~21 % of the SDK process's busy time (docs/performance.md).
//
// The stream's request headers carry the connection's metadata once; a call's CALL header carries its path, the
// milliseconds to its deadline, and the metadata in which it differs from the connection's. The client enforces a
// deadline itself and sends CANCEL for a call it gives up (deadline or signal). A server without the method answers
// the stream UNIMPLEMENTED: the calls waiting on it never reached a handler, so they go again as unary calls and the
// channel stops multiplexing. A stream that ends or breaks otherwise fails its calls as a lost connection fails a
// unary call (UNAVAILABLE, which Connection retries); the next call opens a new stream. The request headers say the
// client reads BATCH messages (MUX_BATCH_METADATA); once the server's response headers say it does too, the calls
// made in one turn of the event loop leave as one message.
import { type ClientHttp2Session, type ClientHttp2Stream, constants } from 'node:http2';
import { status } from '@grpc/grpc-js';
import {
  CLIENT_MUX_PATH,
  encodeMuxMessage,
  GrpcMessageReader,
  MUX_BATCH_METADATA,
  MUX_CALL,
  MUX_CANCEL,
  MUX_ERROR,
  MUX_HEADER_ALLOWANCE,
  MUX_OK,
  type MuxFrame,
  MuxFrameBatcher,
  muxFrameHeader,
  parseMuxFrames,
} from '@odin/api/public';
import {
  MAX_RECEIVE_MESSAGE_BYTES,
  statusAtClose,
  statusFromMetadata,
  type UnaryOutcome,
  type UnaryRequest,
  type WireStatus,
} from './grpc-wire.js';

const EMPTY = Buffer.alloc(0);

/** What the stream needs of its channel. */
export interface MuxStreamHost {
  /** The server does not serve the stream: the channel makes unary calls from now on. */
  unsupported(): void;
  /** Sends `request` as a unary call of its own (the fallback for calls the stream could not carry). */
  unary(request: UnaryRequest): Promise<UnaryOutcome>;
  /** A call started or settled: the channel keeps its session referenced while calls are in flight. */
  started(session: ClientHttp2Session): void;
  settled(session: ClientHttp2Session): void;
  /** The error the session failed with, if it did. */
  sessionError(session: ClientHttp2Session): Error | undefined;
}

interface PendingCall {
  readonly id: number;
  readonly request: UnaryRequest;
  /** Epoch ms of the deadline (for a call resent as unary). */
  readonly deadline: number;
  readonly resolve: (outcome: UnaryOutcome | PromiseLike<UnaryOutcome>) => void;
  timer: NodeJS.Timeout | undefined;
  onAbort: (() => void) | undefined;
}

function tooLarge(length: number, maxBytes: number): Error {
  return new Error(`Received message larger than max (${length} vs. ${maxBytes})`);
}

/** The metadata in which a call differs from the stream's; undefined when it does not. */
function addedMetadata(
  call: Record<string, string>,
  stream: Readonly<Record<string, string>>,
): Record<string, string> | undefined {
  let added: Record<string, string> | undefined;
  for (const key in call) {
    const value = call[key]!;
    if (stream[key] !== value) (added ??= {})[key] = value;
  }
  return added;
}

/** One multiplexed stream on one session; opened at construction, used until it ends. */
export class MuxCallStream {
  readonly session: ClientHttp2Session;
  readonly #metadata: Readonly<Record<string, string>>;
  readonly #host: MuxStreamHost;
  readonly #stream: ClientHttp2Stream;
  readonly #writer: MuxFrameBatcher;
  readonly #reader = new GrpcMessageReader(MAX_RECEIVE_MESSAGE_BYTES + MUX_HEADER_ALLOWANCE, tooLarge);
  readonly #pending = new Map<number, PendingCall>();
  #nextId = 1;
  /** Set when the stream takes no more calls (it ended, broke, or the channel closes). */
  #done = false;
  /** The stream's end status from its headers or trailers: null for OK. */
  #status: WireStatus | null | undefined;
  #httpStatus = 0;

  /** Opens the stream; throws as session.request does on a session that is closing or destroyed. */
  constructor(session: ClientHttp2Session, metadata: Readonly<Record<string, string>>, host: MuxStreamHost) {
    this.session = session;
    this.#metadata = metadata;
    this.#host = host;
    const stream = session.request(
      {
        ...metadata,
        ':method': 'POST',
        ':path': CLIENT_MUX_PATH,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-accept-encoding': 'identity',
        [MUX_BATCH_METADATA]: '1',
      },
      { endStream: false },
    );
    this.#stream = stream;
    this.#writer = new MuxFrameBatcher((bytes) => {
      if (!stream.closed && !stream.destroyed) stream.write(bytes);
    }, true);
    stream.on('response', (headers) => {
      if (headers[MUX_BATCH_METADATA] === '1') this.#writer.enableBatching();
      this.#httpStatus = Number(headers[':status']);
      const fromHeaders = statusFromMetadata(headers);
      if (fromHeaders !== undefined) this.#status = fromHeaders;
    });
    stream.on('trailers', (trailers) => {
      const fromTrailers = statusFromMetadata(trailers);
      if (fromTrailers !== undefined) this.#status = fromTrailers;
    });
    // The server ended the stream: half-close it too, so that it closes (and its session can).
    stream.on('end', () => this.end());
    stream.on('data', (chunk: Buffer) => this.#receive(chunk));
    let streamError: (Error & { code?: string }) | undefined;
    stream.on('error', (error: Error & { code?: string }) => {
      if (error.code !== 'ERR_HTTP2_STREAM_ERROR') streamError = error;
    });
    stream.on('close', () => this.#closed(streamError));
  }

  /** Whether the stream still takes calls. */
  get open(): boolean {
    return !this.#done && !this.#stream.closed && !this.#stream.destroyed;
  }

  /** Sends one call. Never rejects: every ending is an outcome. */
  call(request: UnaryRequest): Promise<UnaryOutcome> {
    return new Promise<UnaryOutcome>((resolve) => {
      const id = this.#nextId;
      this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
      const pending: PendingCall = {
        id,
        request,
        deadline: Date.now() + request.timeoutMs,
        resolve,
        timer: undefined,
        onAbort: undefined,
      };
      this.#pending.set(id, pending);
      this.#host.started(this.session);
      pending.timer = setTimeout(
        () =>
          this.#giveUp(pending, {
            kind: 'status',
            status: { code: status.DEADLINE_EXCEEDED, message: 'Deadline exceeded' },
          }),
        request.timeoutMs,
      );
      const signal = request.signal;
      if (signal) {
        pending.onAbort = () => this.#giveUp(pending, { kind: 'aborted', reason: signal.reason });
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      const added = addedMetadata(request.metadata, this.#metadata);
      const header =
        added === undefined
          ? { p: request.path, d: Math.ceil(request.timeoutMs) }
          : { p: request.path, d: Math.ceil(request.timeoutMs), h: added };
      this.#writer.push(encodeMuxMessage(MUX_CALL, id, header, request.message));
    });
  }

  /** Takes no more calls and half-closes the stream: the server answers the calls in flight, then ends it. */
  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#writer.flush();
    this.#writer.close();
    if (!this.#stream.closed && !this.#stream.destroyed) this.#stream.end();
  }

  /** Ends `pending` with `outcome`, unless it has ended already; the outcome may be another call's (a resend). */
  #settle(pending: PendingCall, outcome: UnaryOutcome | Promise<UnaryOutcome>): void {
    if (this.#pending.get(pending.id) !== pending) return;
    this.#pending.delete(pending.id);
    clearTimeout(pending.timer);
    if (pending.onAbort) pending.request.signal?.removeEventListener('abort', pending.onAbort);
    this.#host.settled(this.session);
    pending.resolve(outcome);
  }

  /** The caller gives the call up (deadline, signal): the server is told to abort it. */
  #giveUp(pending: PendingCall, outcome: UnaryOutcome): void {
    if (this.#pending.get(pending.id) !== pending) return;
    this.#settle(pending, outcome);
    if (!this.#stream.closed && !this.#stream.destroyed && this.#status === undefined)
      this.#writer.push(encodeMuxMessage(MUX_CANCEL, pending.id, undefined, EMPTY));
  }

  #receive(chunk: Buffer): void {
    let messages: ReturnType<GrpcMessageReader['push']>;
    try {
      messages = this.#reader.push(chunk);
    } catch (error) {
      this.#break({ code: status.RESOURCE_EXHAUSTED, message: (error as Error).message });
      return;
    }
    for (const message of messages) {
      const frames = message.compressed ? undefined : parseMuxFrames(message.bytes);
      if (!frames) {
        this.#break({
          code: status.INTERNAL,
          message: 'Received a message that is not a multiplexed call frame',
        });
        return;
      }
      for (const one of frames) {
        const pending = this.#pending.get(one.id);
        if (!pending) continue;
        if (one.kind === MUX_OK) {
          this.#settle(pending, { kind: 'ok', message: one.body });
        } else if (one.kind === MUX_ERROR) {
          this.#settle(pending, { kind: 'status', status: this.#errorOf(one) });
        }
      }
    }
  }

  #errorOf(frame: MuxFrame): WireStatus {
    let head: Record<string, unknown>;
    try {
      head = muxFrameHeader(frame);
    } catch {
      return { code: status.INTERNAL, message: 'Received an error frame whose header is not JSON' };
    }
    const code =
      typeof head.s === 'number' && Number.isInteger(head.s) && head.s > 0 && head.s <= 16
        ? (head.s as status)
        : status.UNKNOWN;
    return {
      code,
      message: typeof head.e === 'string' ? head.e : '',
      ...(frame.body.length > 0 ? { details: Buffer.from(frame.body) } : {}),
    };
  }

  /** A response the client cannot read: the stream is cancelled and its calls fail with `failure`. */
  #break(failure: WireStatus): void {
    this.#done = true;
    this.#writer.close();
    this.#failAll(failure);
    if (!this.#stream.closed && !this.#stream.destroyed) this.#stream.close(constants.NGHTTP2_CANCEL);
  }

  #closed(streamError: Error | undefined): void {
    this.#done = true;
    this.#writer.close();
    if (this.#pending.size === 0) return;
    const session = this.session;
    const ended = statusAtClose(this.#status, this.#httpStatus, {
      rstCode: this.#stream.rstCode ?? 0,
      sessionLost: session.destroyed || session.closed,
      error: this.#host.sessionError(session) ?? streamError,
    });
    if (ended?.code === status.UNIMPLEMENTED) {
      // The server has no such method: no handler saw these calls. They go again, each on a stream of its own.
      this.#host.unsupported();
      for (const pending of [...this.#pending.values()]) this.#resendUnary(pending);
      return;
    }
    // The server ended the stream (OK: it is shutting down) with calls unanswered: lost as on a lost connection.
    this.#failAll(
      ended ?? {
        code: status.UNAVAILABLE,
        message: 'The multiplexed call stream ended before the call was answered',
      },
    );
  }

  #resendUnary(pending: PendingCall): void {
    this.#settle(pending, this.#host.unary({ ...pending.request, timeoutMs: pending.deadline - Date.now() }));
  }

  #failAll(failure: WireStatus): void {
    for (const pending of [...this.#pending.values()])
      this.#settle(pending, { kind: 'status', status: failure });
  }
}

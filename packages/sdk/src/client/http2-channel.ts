// One HTTP/2 session to a gRPC server, opened on first use and re-opened after it closes, errors or receives GOAWAY,
// and the unary call over it: a frame on the session's multiplexed call stream (mux-call-stream.ts) where the server
// serves one, else an HTTP/2 stream of its own. Hand-written on node:http2 rather than @grpc/grpc-js for the per-call overhead
// measured in issue 14 (see grpc-wire.ts).

import * as http2 from 'node:http2';
import { status } from '@grpc/grpc-js';
import { MUX_MAX_REQUEST_BYTES } from '@odin/api/public';
import {
  encodeFrame,
  statusAtClose,
  statusFromMetadata,
  timeoutHeader,
  UnaryResponseReader,
  type UnaryOutcome,
  type UnaryRequest,
  type WireStatus,
} from './grpc-wire.js';
import { MuxCallStream, type MuxStreamHost } from './mux-call-stream.js';

const { NGHTTP2_CANCEL } = http2.constants;
/** The flow-control window of each stream and of the connection for what the server sends. */
const RECEIVE_WINDOW_BYTES = 8 * 1024 * 1024;

export interface ChannelTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** The name checked against the server certificate (and sent as SNI). */
  servername?: string;
}

/** The error a session failed with, for the streams it took down. */
const sessionErrors = new WeakMap<http2.ClientHttp2Session, Error>();

export interface ChannelOptions {
  readonly tls?: ChannelTls | undefined;
  /**
   * Send calls on one multiplexed stream per session (true by default). The metadata every call carries goes once,
   * in the stream's headers (`streamMetadata`); a call sends only what differs from it.
   */
  readonly multiplex?: boolean;
  readonly streamMetadata?: Readonly<Record<string, string>>;
}

export class Http2Channel {
  private session: http2.ClientHttp2Session | undefined;
  private mux: MuxCallStream | undefined;
  private multiplex: boolean;
  private readonly streamMetadata: Readonly<Record<string, string>>;
  private readonly tls: ChannelTls | undefined;
  private active = 0;
  private closed = false;
  private readonly muxHost: MuxStreamHost = {
    unsupported: () => {
      this.multiplex = false;
    },
    unary: (request) => this.unary(request),
    started: (session) => this.started(session),
    settled: (session) => this.settled(session),
    sessionError: (session) => sessionErrors.get(session),
  };

  constructor(
    private readonly authority: string,
    options: ChannelOptions = {},
  ) {
    this.tls = options.tls;
    this.multiplex = options.multiplex ?? true;
    this.streamMetadata = options.streamMetadata ?? {};
  }

  /** Closes the session; calls in flight finish, later calls fail with UNAVAILABLE. */
  close(): void {
    this.closed = true;
    this.mux?.end();
    this.mux = undefined;
    this.session?.close();
    this.session = undefined;
  }

  /** Whether calls go on a multiplexed stream (false once the server answered it UNIMPLEMENTED). */
  get multiplexing(): boolean {
    return this.multiplex;
  }

  private started(session: http2.ClientHttp2Session): void {
    if (this.active++ === 0) session.ref();
  }

  private settled(session: http2.ClientHttp2Session): void {
    if (--this.active === 0 && !session.destroyed) session.unref();
  }

  private open(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    // Every answer on the multiplexed stream shares that stream's flow-control window: with HTTP/2's default of
    // 64 KiB a large answer (a page of history) would hold the others back by a WINDOW_UPDATE round trip per 64 KiB.
    const settings = { initialWindowSize: RECEIVE_WINDOW_BYTES };
    const session = this.tls
      ? http2.connect(`https://${this.authority}`, { ...this.tls, ALPNProtocols: ['h2'], settings })
      : http2.connect(`http://${this.authority}`, { settings });
    // …and the connection's window, which every stream shares.
    session.once('connect', () => session.setLocalWindowSize(RECEIVE_WINDOW_BYTES));
    const forget = () => {
      if (this.session === session) this.session = undefined;
    };
    // A lost or refused connection surfaces on its streams as UNAVAILABLE; the session's error needs a listener
    // only so that it is not thrown.
    session.on('error', (error: Error) => {
      sessionErrors.set(session, error);
      forget();
    });
    session.on('close', forget);
    session.on('goaway', () => {
      forget();
      // Streams the server accepted finish; the session then closes.
      if (!session.closed) session.close();
    });
    // An idle session does not keep the process alive; one with calls in flight does (ref'd in `unary`).
    session.unref();
    this.session = session;
    return session;
  }

  /** One unary call. Never rejects: every ending is an outcome. */
  unary(request: UnaryRequest): Promise<UnaryOutcome> {
    const { signal } = request;
    if (signal?.aborted) return Promise.resolve({ kind: 'aborted', reason: signal.reason });
    if (this.closed)
      return Promise.resolve({
        kind: 'status',
        status: { code: status.UNAVAILABLE, message: 'Connection has been closed' },
      });
    if (request.timeoutMs <= 0)
      return Promise.resolve({
        kind: 'status',
        status: { code: status.DEADLINE_EXCEEDED, message: 'Deadline exceeded before the call started' },
      });
    if (this.multiplex && request.message.byteLength <= MUX_MAX_REQUEST_BYTES) {
      const mux = this.muxStream();
      if (mux instanceof MuxCallStream) return mux.call(request);
      return Promise.resolve(mux);
    }
    return this.ownStream(request);
  }

  /** The session's multiplexed stream, opened if it has none that is open; an outcome if it cannot be opened. */
  private muxStream(): MuxCallStream | UnaryOutcome {
    try {
      const session = this.open();
      if (this.mux?.session === session && this.mux.open) return this.mux;
      this.mux = new MuxCallStream(session, this.streamMetadata, this.muxHost);
      return this.mux;
    } catch (error) {
      return this.lost(error);
    }
  }

  /**
   * request() throws synchronously on a session that is closing or destroyed, or whose stream ids ran out; the
   * next call opens a new one.
   */
  private lost(error: unknown): UnaryOutcome {
    this.session?.close();
    this.session = undefined;
    return {
      kind: 'status',
      status: { code: status.UNAVAILABLE, message: error instanceof Error ? error.message : String(error) },
    };
  }

  /** A unary call on an HTTP/2 stream of its own. */
  private ownStream(request: UnaryRequest): Promise<UnaryOutcome> {
    const { signal } = request;
    return new Promise<UnaryOutcome>((resolve) => {
      let session: http2.ClientHttp2Session;
      let stream: http2.ClientHttp2Stream;
      try {
        session = this.open();
        stream = session.request(
          {
            ...request.metadata,
            ':method': 'POST',
            ':path': request.path,
            'content-type': 'application/grpc',
            te: 'trailers',
            'grpc-timeout': timeoutHeader(request.timeoutMs),
            'grpc-accept-encoding': 'identity',
          },
          { endStream: false },
        );
      } catch (error) {
        resolve(this.lost(error));
        return;
      }
      this.started(session);

      const reader = new UnaryResponseReader();
      let httpStatus = 0;
      let result: WireStatus | null | undefined; // null: OK status received
      let settled = false;

      const finish = (outcome: UnaryOutcome, cancel: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (cancel && !stream.closed) stream.close(NGHTTP2_CANCEL);
        this.settled(session);
        resolve(outcome);
      };
      const onAbort = () => finish({ kind: 'aborted', reason: signal!.reason }, true);
      const timer = setTimeout(
        () =>
          finish(
            { kind: 'status', status: { code: status.DEADLINE_EXCEEDED, message: 'Deadline exceeded' } },
            true,
          ),
        request.timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });

      stream.on('response', (headers) => {
        httpStatus = Number(headers[':status']);
        // A trailers-only response carries its status in the headers.
        const fromHeaders = statusFromMetadata(headers);
        if (fromHeaders !== undefined) result = fromHeaders;
      });
      stream.on('trailers', (trailers) => {
        const fromTrailers = statusFromMetadata(trailers);
        if (fromTrailers !== undefined) result = fromTrailers;
      });
      stream.on('data', (chunk: Buffer) => {
        const refused = reader.push(chunk);
        if (refused) finish({ kind: 'status', status: refused }, true);
      });
      // 'error' precedes 'close' on a reset or a lost connection; 'close' decides the outcome.
      // …and its error, unless it only restates the reset code, says why: a TLS alert arrives here, not on the session.
      let streamError: (Error & { code?: string }) | undefined;
      stream.on('error', (error: Error & { code?: string }) => {
        if (error.code !== 'ERR_HTTP2_STREAM_ERROR') streamError = error;
      });
      stream.on('close', () => {
        if (settled) return;
        const ended = statusAtClose(result, httpStatus, {
          rstCode: stream.rstCode ?? 0,
          sessionLost: session.destroyed || session.closed || this.session !== session,
          error: sessionErrors.get(session) ?? streamError,
        });
        if (ended !== null) {
          finish({ kind: 'status', status: ended }, false);
          return;
        }
        const message = reader.finish();
        if (Buffer.isBuffer(message)) finish({ kind: 'ok', message }, false);
        else finish({ kind: 'status', status: message }, false);
      });
      stream.end(encodeFrame(request.message));
    });
  }
}

// One HTTP/2 session to a gRPC server, opened on first use and re-opened after it closes, errors or receives GOAWAY,
// and the unary call over it. Hand-written on node:http2 rather than @grpc/grpc-js for the per-call overhead
// measured in issue 14 (see grpc-wire.ts).

import * as http2 from 'node:http2';
import { status } from '@grpc/grpc-js';
import {
  encodeFrame,
  statusFromHttp,
  statusFromMetadata,
  timeoutHeader,
  UnaryResponseReader,
  type WireStatus,
} from './grpc-wire.js';

const {
  NGHTTP2_CANCEL,
  NGHTTP2_NO_ERROR,
  NGHTTP2_REFUSED_STREAM,
  NGHTTP2_ENHANCE_YOUR_CALM,
  NGHTTP2_INADEQUATE_SECURITY,
} = http2.constants;

export interface ChannelTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** The name checked against the server certificate (and sent as SNI). */
  servername?: string;
}

export interface UnaryRequest {
  /** `/package.Service/Method`. */
  path: string;
  /** Header metadata: lower-case names, string values. */
  metadata: Record<string, string>;
  message: Uint8Array;
  /** Milliseconds until the deadline; the call fails with DEADLINE_EXCEEDED when they pass. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** How a unary call ended: the response bytes, a gRPC status, or the signal's abort. */
export type UnaryOutcome =
  | { kind: 'ok'; message: Buffer }
  | { kind: 'status'; status: WireStatus }
  | { kind: 'aborted'; reason: unknown };

/** The status of a stream that ended without a gRPC status, from its RST_STREAM code (as grpc-js maps them). */
function statusFromReset(rstCode: number, sessionLost: boolean, sessionError?: Error): WireStatus {
  // The session's own error says why better than the stream's code: a refused connection, a TLS alert such as
  // "certificate required" when the server wants a client certificate, a failed certificate check.
  if (sessionError)
    return { code: status.UNAVAILABLE, message: `Connection failed: ${sessionError.message}` };
  if (sessionLost || rstCode === NGHTTP2_REFUSED_STREAM || rstCode === NGHTTP2_NO_ERROR)
    return { code: status.UNAVAILABLE, message: `Connection lost (stream closed with code ${rstCode})` };
  if (rstCode === NGHTTP2_ENHANCE_YOUR_CALM)
    return { code: status.RESOURCE_EXHAUSTED, message: 'Bandwidth exhausted or memory limit exceeded' };
  if (rstCode === NGHTTP2_INADEQUATE_SECURITY)
    return { code: status.PERMISSION_DENIED, message: 'Protocol not secure enough' };
  return { code: status.INTERNAL, message: `Received RST_STREAM with code ${rstCode}` };
}

/** The error a session failed with, for the streams it took down. */
const sessionErrors = new WeakMap<http2.ClientHttp2Session, Error>();

export class Http2Channel {
  private session: http2.ClientHttp2Session | undefined;
  private active = 0;
  private closed = false;

  constructor(
    private readonly authority: string,
    private readonly tls: ChannelTls | undefined,
  ) {}

  /** Closes the session; calls in flight finish, later calls fail with UNAVAILABLE. */
  close(): void {
    this.closed = true;
    this.session?.close();
    this.session = undefined;
  }

  private open(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const session = this.tls
      ? http2.connect(`https://${this.authority}`, { ...this.tls, ALPNProtocols: ['h2'] })
      : http2.connect(`http://${this.authority}`);
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
        // request() throws synchronously on a session that is closing or destroyed, or whose stream ids ran out;
        // the next call opens a new one.
        this.session?.close();
        this.session = undefined;
        resolve({
          kind: 'status',
          status: {
            code: status.UNAVAILABLE,
            message: error instanceof Error ? error.message : String(error),
          },
        });
        return;
      }
      if (this.active++ === 0) session.ref();

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
        if (--this.active === 0 && !session.destroyed) session.unref();
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
        if (result === undefined) {
          if (httpStatus !== 0 && httpStatus !== 200) {
            finish({ kind: 'status', status: statusFromHttp(httpStatus) }, false);
            return;
          }
          const sessionLost = session.destroyed || session.closed || this.session !== session;
          finish(
            {
              kind: 'status',
              status: statusFromReset(
                stream.rstCode ?? 0,
                sessionLost,
                sessionErrors.get(session) ?? streamError,
              ),
            },
            false,
          );
          return;
        }
        if (result !== null) {
          finish({ kind: 'status', status: result }, false);
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

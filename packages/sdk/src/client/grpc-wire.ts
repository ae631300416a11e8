// The gRPC-over-HTTP/2 wire format of a unary call (https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md):
// length-prefixed message framing, the grpc-timeout header, and the status carried in trailers (or in the headers of
// a trailers-only response).
//
// Hand-written rather than @grpc/grpc-js: a CPU profile of the bench:peers SDK process (issue 14) showed grpc-js
// itself at ~20 % of self time per unary call (makeUnaryRequest, the interceptor chain, Metadata cloning,
// AsyncResource.bind, the filter stack) plus a large share of the GC, on top of node:http2. Odin's SDK only makes
// unary WorkflowService calls without compression, so the part of gRPC it needs is this small.

import { constants } from 'node:http2';
import { status } from '@grpc/grpc-js';
import { google } from '@odin/api/public';

/** The largest response message accepted, as grpc-js's 'grpc.max_receive_message_length' was set before. */
export const MAX_RECEIVE_MESSAGE_BYTES = 128 * 1024 * 1024;

const HEADER_BYTES = 5;

/** A failed call as the wire reports it: code, message and the grpc-status-details-bin bytes, if any. */
export interface WireStatus {
  code: status;
  message: string;
  details?: Uint8Array;
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

/** One message framed for the request body: compressed flag 0, 4-byte big-endian length, the bytes. */
export function encodeFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + message.length);
  frame[0] = 0;
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, HEADER_BYTES);
  return frame;
}

/**
 * Collects the DATA of a unary response and yields its one message. `push` fails early (before the whole body
 * arrives) on a compressed or oversized message, so the caller can cancel the stream.
 */
export class UnaryResponseReader {
  private readonly chunks: Buffer[] = [];
  private received = 0;
  private expected = -1;

  constructor(private readonly maxMessageBytes = MAX_RECEIVE_MESSAGE_BYTES) {}

  /** Adds a DATA chunk; a WireStatus when the response cannot be accepted. */
  push(chunk: Buffer): WireStatus | undefined {
    this.chunks.push(chunk);
    this.received += chunk.length;
    if (this.expected < 0 && this.received >= HEADER_BYTES) {
      const head = this.chunks.length === 1 ? chunk : Buffer.concat(this.chunks);
      if (head[0] !== 0)
        return { code: status.INTERNAL, message: 'Received a compressed message although none was accepted' };
      const length = head.readUInt32BE(1);
      if (length > this.maxMessageBytes)
        return {
          code: status.RESOURCE_EXHAUSTED,
          message: `Received message larger than max (${length} vs. ${this.maxMessageBytes})`,
        };
      this.expected = length;
    }
    if (this.expected >= 0 && this.received > HEADER_BYTES + this.expected)
      return { code: status.UNIMPLEMENTED, message: 'Received more than one message in a unary response' };
    return undefined;
  }

  /** The message bytes once the stream ended with an OK status. */
  finish(): Buffer | WireStatus {
    if (this.expected < 0 || this.received !== HEADER_BYTES + this.expected)
      return { code: status.UNIMPLEMENTED, message: 'Received no complete message in a unary response' };
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.received);
    return body.subarray(HEADER_BYTES);
  }
}

type Headers = Record<string, string | string[] | undefined>;

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** grpc-message is percent-encoded; a malformed encoding is shown as sent rather than lost. */
export function percentDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/**
 * The gRPC status of headers or trailers carrying `grpc-status`: null when it is OK, undefined when absent.
 * A value outside the known codes is UNKNOWN, as the spec says.
 */
export function statusFromMetadata(headers: Headers): WireStatus | null | undefined {
  const raw = first(headers['grpc-status']);
  if (raw === undefined) return undefined;
  const parsed = Number(raw);
  const code = Number.isInteger(parsed) && parsed >= 0 && parsed <= 16 ? (parsed as status) : status.UNKNOWN;
  if (code === status.OK) return null;
  const message = percentDecode(first(headers['grpc-message']) ?? '');
  const detailsBase64 = first(headers['grpc-status-details-bin']);
  return {
    code,
    message,
    ...(detailsBase64 ? { details: Buffer.from(detailsBase64, 'base64') } : {}),
  };
}

/** The gRPC code of a response whose HTTP status is not 200 (the spec's http-grpc-status-mapping). */
export function statusFromHttp(httpStatus: number): WireStatus {
  let code: status;
  switch (httpStatus) {
    case 400:
      code = status.INTERNAL;
      break;
    case 401:
      code = status.UNAUTHENTICATED;
      break;
    case 403:
      code = status.PERMISSION_DENIED;
      break;
    case 404:
      code = status.UNIMPLEMENTED;
      break;
    case 429:
    case 502:
    case 503:
    case 504:
      code = status.UNAVAILABLE;
      break;
    default:
      code = status.UNKNOWN;
  }
  return { code, message: `Received HTTP status code ${httpStatus}` };
}

/**
 * How a stream ended, once it closed: the grpc-status it carried (null: OK), else the gRPC code of a non-200 HTTP
 * status, else what its reset code stands for. A call on a stream of its own and the multiplexed call stream both
 * decide this way.
 */
export function statusAtClose(
  carried: WireStatus | null | undefined,
  httpStatus: number,
  reset: { rstCode: number; sessionLost: boolean; error: Error | undefined },
): WireStatus | null {
  if (carried !== undefined) return carried;
  if (httpStatus !== 0 && httpStatus !== 200) return statusFromHttp(httpStatus);
  return statusFromReset(reset.rstCode, reset.sessionLost, reset.error);
}

/** The status of a stream that ended without a gRPC status, from its RST_STREAM code (as grpc-js maps them). */
export function statusFromReset(rstCode: number, sessionLost: boolean, sessionError?: Error): WireStatus {
  // The session's own error says why better than the stream's code: a refused connection, a TLS alert such as
  // "certificate required" when the server wants a client certificate, a failed certificate check.
  if (sessionError)
    return { code: status.UNAVAILABLE, message: `Connection failed: ${sessionError.message}` };
  if (sessionLost || rstCode === constants.NGHTTP2_REFUSED_STREAM || rstCode === constants.NGHTTP2_NO_ERROR)
    return { code: status.UNAVAILABLE, message: `Connection lost (stream closed with code ${rstCode})` };
  // A peer's cancel on a live connection; Node also resets streams with CANCEL when the connection drops, which
  // sessionLost answered above as UNAVAILABLE.
  if (rstCode === constants.NGHTTP2_CANCEL) return { code: status.CANCELLED, message: 'Call cancelled' };
  if (rstCode === constants.NGHTTP2_ENHANCE_YOUR_CALM)
    return { code: status.RESOURCE_EXHAUSTED, message: 'Bandwidth exhausted or memory limit exceeded' };
  if (rstCode === constants.NGHTTP2_INADEQUATE_SECURITY)
    return { code: status.PERMISSION_DENIED, message: 'Protocol not secure enough' };
  return { code: status.INTERNAL, message: `Received RST_STREAM with code ${rstCode}` };
}

/**
 * The grpc-timeout header: at most 8 digits, so milliseconds while they fit and whole seconds (rounded up) beyond.
 */
export function timeoutHeader(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms));
  if (whole < 100_000_000) return `${whole}m`;
  return `${Math.min(99_999_999, Math.ceil(whole / 1000))}S`;
}

/** The `temporal.api.errordetails.v1` type named by a google.rpc.Status's first detail, if any. */
export function errorDetailType(details: Uint8Array | undefined): string | undefined {
  if (!details) return undefined;
  try {
    const decoded = google.rpc.Status.decode(details);
    const typeUrl = decoded.details?.[0]?.type_url ?? undefined;
    return typeUrl?.slice(typeUrl.lastIndexOf('/') + 1);
  } catch {
    return undefined;
  }
}

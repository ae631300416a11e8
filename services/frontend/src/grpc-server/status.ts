// gRPC status on the wire: the codes this server sends itself, the error a handler rejects with, and the
// trailers (or trailers-only response) that carry a status, written as grpc-js 1.14 writes them.
import type { OutgoingHttpHeaders } from 'node:http2';
import { status } from '@grpc/grpc-js';

/**
 * A call's failure: its status code, its message (`grpc-message`) and the metadata sent with it in the trailers
 * (`-bin` values as Buffers; they go out base64-encoded).
 */
export class GrpcStatusError extends Error {
  readonly code: number;
  readonly details: string;
  readonly metadata: Readonly<Record<string, string | Buffer>> | undefined;
  constructor(code: number, details: string, metadata?: Readonly<Record<string, string | Buffer>>) {
    super(details);
    this.name = 'GrpcStatusError';
    this.code = code;
    this.details = details;
    this.metadata = metadata;
  }
}

/** What a handler rejected with as a status: anything but a GrpcStatusError is UNKNOWN (grpc-js does the same). */
export function statusOf(error: unknown): GrpcStatusError {
  if (error instanceof GrpcStatusError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new GrpcStatusError(status.UNKNOWN, message);
}

/** `grpc-message` as grpc-js writes it (encodeURI), never throwing on a lone surrogate. */
export function encodeGrpcMessage(details: string): string {
  try {
    return encodeURI(details);
  } catch {
    // A lone surrogate: its UTF-8 round trip makes it U+FFFD.
    return encodeURI(Buffer.from(details, 'utf8').toString('utf8'));
  }
}

/** Headers of a response that carries messages (grpc-js sends the same, compression headers included). */
export const RESPONSE_HEADERS: Readonly<OutgoingHttpHeaders> = Object.freeze({
  ':status': 200,
  'content-type': 'application/grpc+proto',
  'grpc-accept-encoding': 'identity,deflate,gzip',
  'grpc-encoding': 'identity',
});

/** Trailers of a call that succeeded. */
export const OK_TRAILERS: Readonly<OutgoingHttpHeaders> = Object.freeze({
  'grpc-status': '0',
  'grpc-message': 'OK',
});

function addMetadata(headers: OutgoingHttpHeaders, metadata: GrpcStatusError['metadata']): void {
  if (!metadata) return;
  for (const [key, value] of Object.entries(metadata)) {
    headers[key] = typeof value === 'string' ? value : value.toString('base64');
  }
}

/** Trailers of a call that already sent its headers. */
export function statusTrailers(failure: GrpcStatusError): OutgoingHttpHeaders {
  const trailers: OutgoingHttpHeaders = {
    'grpc-status': String(failure.code),
    'grpc-message': encodeGrpcMessage(failure.details),
  };
  addMetadata(trailers, failure.metadata);
  return trailers;
}

/** A trailers-only response: the status as the only HEADERS frame, which ends the stream. */
export function trailersOnly(failure: GrpcStatusError): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    ':status': 200,
    'content-type': 'application/grpc+proto',
    'grpc-status': String(failure.code),
    'grpc-message': encodeGrpcMessage(failure.details),
  };
  addMetadata(headers, failure.metadata);
  return headers;
}

// A gRPC client written on node:http2 for the tests of the frontend's gRPC server: it sends exactly the frames a
// test asks for (a compression flag, an encoding, only a length prefix) and reports exactly what came back (the
// response headers, the DATA bytes, the trailers), which a real client library hides.
import {
  type ClientHttp2Session,
  connect,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import { WORKFLOW_SERVICE } from '../../src/grpc-service.js';

export interface RawResponse {
  readonly headers: IncomingHttpHeaders;
  readonly data: Buffer;
  /** Undefined for a trailers-only response (the status is in `headers`). */
  readonly trailers: IncomingHttpHeaders | undefined;
  /** The RST_STREAM code when the server reset the stream. */
  readonly rstCode: number;
}

export function frame(message: Uint8Array, compressed = false): Buffer {
  const out = Buffer.alloc(message.byteLength + 5);
  out[0] = compressed ? 1 : 0;
  out.writeUInt32BE(message.byteLength, 1);
  out.set(message, 5);
  return out;
}

export function session(port: number): ClientHttp2Session {
  const client = connect(`http://127.0.0.1:${port}`);
  client.on('error', () => undefined);
  return client;
}

export interface RawCall {
  readonly response: Promise<RawResponse>;
  /** Resets the stream (what a client's cancel does). */
  cancel(): void;
}

/** One call: `body` is written as is, then the stream is ended unless `keepOpen`. */
export function rawCall(
  client: ClientHttp2Session,
  method: string,
  body: Buffer,
  headers: OutgoingHttpHeaders = {},
  options: { keepOpen?: boolean; path?: string } = {},
): RawCall {
  const stream = client.request({
    ':method': 'POST',
    ':path': options.path ?? `/${WORKFLOW_SERVICE}/${method}`,
    'content-type': 'application/grpc',
    te: 'trailers',
    ...headers,
  });
  stream.on('error', () => undefined);
  const response = new Promise<RawResponse>((resolve) => {
    let responseHeaders: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | undefined;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      responseHeaders = h;
    });
    stream.on('trailers', (t) => {
      trailers = t;
    });
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The response is whole at the end of its readable side: a stream the client keeps open does not close.
    const done = () =>
      resolve({
        headers: responseHeaders,
        data: Buffer.concat(chunks),
        trailers,
        rstCode: stream.rstCode ?? 0,
      });
    stream.on('end', done);
    stream.on('close', done);
  });
  if (options.keepOpen) stream.write(body);
  else stream.end(body);
  return { response, cancel: () => stream.close(0x8) };
}

/** The status of a response: from its trailers, or its headers when it was trailers-only. */
export function statusOf(response: RawResponse): { code: number; message: string } {
  const source = response.trailers ?? response.headers;
  return {
    code: Number(source['grpc-status']),
    message: decodeURIComponent(String(source['grpc-message'] ?? '')),
  };
}

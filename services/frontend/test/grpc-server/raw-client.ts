// A gRPC client written on node:http2 for the tests of the frontend's gRPC server: it sends exactly the frames a
// test asks for (a compression flag, an encoding, only a length prefix) and reports exactly what came back (the
// response headers, the DATA bytes, the trailers), which a real client library hides.
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import {
  CLIENT_MUX_PATH,
  encodeMuxBatch,
  encodeMuxMessage,
  GrpcMessageReader,
  MUX_BATCH,
  MUX_CALL,
  MUX_CANCEL,
  MUX_OK,
  muxBatchFrames,
  muxFrameHeader,
  parseMuxFrame,
} from '@odin/api/public';
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

/** How a call on a multiplexed stream was answered. */
export type MuxAnswer =
  | { readonly kind: 'ok'; readonly body: Buffer }
  | { readonly kind: 'error'; readonly code: number; readonly message: string; readonly details: Buffer };

/**
 * The client side of the frontend's multiplexed call stream (CLIENT_MUX_PATH), frame by frame: each call is sent
 * with the id, header and body a test gives, and every frame that comes back is kept.
 */
export class RawMuxStream {
  readonly stream: ClientHttp2Stream;
  /** The response headers (a trailers-only refusal carries its status here). */
  readonly headers: Promise<IncomingHttpHeaders>;
  /** Settles when the stream closes: its trailers (undefined if none came) and RST_STREAM code. */
  readonly closed: Promise<{ trailers: IncomingHttpHeaders | undefined; rstCode: number }>;
  readonly #answers = new Map<number, (answer: MuxAnswer) => void>();
  /** gRPC messages received, and how many of them were BATCH messages. */
  messages = 0;
  batches = 0;
  readonly #reader = new GrpcMessageReader(
    64 * 1024 * 1024,
    (length) => new Error(`frame of ${length} bytes`),
  );

  constructor(client: ClientHttp2Session, headers: OutgoingHttpHeaders = {}) {
    this.stream = client.request({
      ':method': 'POST',
      ':path': CLIENT_MUX_PATH,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    const stream = this.stream;
    stream.on('error', () => undefined);
    this.headers = new Promise((resolve) => stream.once('response', resolve));
    let trailers: IncomingHttpHeaders | undefined;
    stream.on('trailers', (t) => {
      trailers = t;
    });
    this.closed = new Promise((resolve) =>
      stream.once('close', () => resolve({ trailers, rstCode: stream.rstCode ?? 0 })),
    );
    // As a gRPC client does once the server's side has ended: the stream can then close.
    stream.on('end', () => stream.end());
    stream.on('data', (chunk: Buffer) => {
      for (const message of this.#reader.push(chunk)) {
        this.messages++;
        const parsed = parseMuxFrame(message.bytes)!;
        if (parsed.kind === MUX_BATCH) this.batches++;
        for (const frame of parsed.kind === MUX_BATCH ? muxBatchFrames(parsed)! : [parsed]) {
          const answer = this.#answers.get(frame.id);
          this.#answers.delete(frame.id);
          if (frame.kind === MUX_OK) answer?.({ kind: 'ok', body: Buffer.from(frame.body) });
          else {
            const head = muxFrameHeader(frame) as { s: number; e: string };
            answer?.({ kind: 'error', code: head.s, message: head.e, details: Buffer.from(frame.body) });
          }
        }
      }
    });
  }

  /** Sends a CALL frame; resolves with its OK or ERROR frame. `header` is the frame's header as sent. */
  call(id: number, header: object, body: Uint8Array): Promise<MuxAnswer> {
    const answer = new Promise<MuxAnswer>((resolve) => this.#answers.set(id, resolve));
    this.stream.write(encodeMuxMessage(MUX_CALL, id, header, body));
    return answer;
  }

  /** Sends CALL frames as one BATCH message; resolves with their answers in the same order. */
  callBatch(calls: readonly { id: number; header: object; body: Uint8Array }[]): Promise<MuxAnswer[]> {
    const answers = calls.map(
      ({ id }) => new Promise<MuxAnswer>((resolve) => this.#answers.set(id, resolve)),
    );
    const frames = calls.map(({ id, header, body }) => encodeMuxMessage(MUX_CALL, id, header, body));
    this.stream.write(encodeMuxBatch(frames, true));
    return Promise.all(answers);
  }

  cancel(id: number): void {
    this.stream.write(encodeMuxMessage(MUX_CANCEL, id, undefined, Buffer.alloc(0)));
  }
}

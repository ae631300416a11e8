// Unary gRPC calls with arbitrary request bytes over node:http2: what a broken or hostile client can put on the wire,
// which a generated client (it encodes valid messages only) cannot. Also reports the size of the trailers the server
// answered with, which must stay small whatever the request echoed.
import { type ClientHttp2Session, connect, constants } from 'node:http2';

export interface RawAnswer {
  /** grpc-status (a number), or undefined when the stream ended without one. */
  readonly code: number | undefined;
  readonly message: string;
  /** Bytes of all response header and trailer names and values. */
  readonly headerBytes: number;
}

function headerSize(headers: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(headers)) size += name.length + String(value).length;
  return size;
}

/** One HTTP/2 connection to a gRPC server, reused by every call (as a client's channel would be). */
export class RawGrpcClient {
  readonly #session: ClientHttp2Session;

  constructor(address: string) {
    this.#session = connect(`http://${address}`);
    this.#session.on('error', () => {});
  }

  get closed(): boolean {
    return this.#session.closed || this.#session.destroyed;
  }

  /** Sends `body` as the one message of a unary call to `/service/method`; `timeoutMs` becomes grpc-timeout. */
  call(path: string, body: Uint8Array, timeoutMs: number): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const stream = this.#session.request({
        [constants.HTTP2_HEADER_METHOD]: 'POST',
        [constants.HTTP2_HEADER_PATH]: path,
        'content-type': 'application/grpc',
        te: 'trailers',
        'grpc-timeout': `${timeoutMs}m`,
      });
      let headerBytes = 0;
      let code: number | undefined;
      let message = '';
      const take = (headers: Record<string, unknown>) => {
        headerBytes += headerSize(headers);
        if (headers['grpc-status'] !== undefined) {
          code = Number(headers['grpc-status']);
          message = decodeURIComponent(String(headers['grpc-message'] ?? ''));
        }
      };
      stream.on('response', take);
      stream.on('trailers', take);
      stream.on('data', () => {});
      stream.on('error', reject);
      stream.on('close', () => resolve({ code, message, headerBytes }));
      const frame = Buffer.alloc(5 + body.length);
      frame.writeUInt8(0, 0);
      frame.writeUInt32BE(body.length, 1);
      frame.set(body, 5);
      stream.end(frame);
    });
  }

  close(): void {
    this.#session.close();
  }
}

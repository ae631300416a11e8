import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { temporal } from '@odin/api/public';
import type { IPayload } from '../common/proto-types.js';
import { decodePayloads, encodePayloads, type PayloadCodec } from './payload-codec.js';

const Payload = temporal.api.common.v1.Payload;

export interface CodecServerOptions {
  codecs: readonly PayloadCodec[];
  /** Origins allowed to call from a browser (the Web UI's), or '*'. No CORS headers when empty. */
  corsOrigins?: readonly string[];
  /**
   * Checks the request's Authorization header (and the X-Namespace header the UI sends); false answers 401.
   * Without it every request is served: bind the server to a private address then.
   */
  authorize?: (
    authorization: string | undefined,
    namespace: string | undefined,
  ) => boolean | Promise<boolean>;
  /** Largest request body accepted, 4 MiB by default. */
  maxBodyBytes?: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).byteLength;
    if (size > limit) throw new HttpError(413, `Request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `{"payloads":[…]}` in proto3 JSON (base64 bytes) → payloads. */
function payloadsFromJson(body: string): IPayload[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new HttpError(400, 'The body is not JSON');
  }
  const list = (parsed as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(list)) throw new HttpError(400, 'The body needs a "payloads" array');
  try {
    return list.map((item) => {
      const payload = Payload.fromObject(item as object);
      return { metadata: { ...payload.metadata }, data: payload.data };
    });
  } catch (error) {
    throw new HttpError(400, `Not a payload: ${(error as Error).message}`);
  }
}

function payloadsToJson(payloads: readonly IPayload[]): string {
  return JSON.stringify({
    payloads: payloads.map((p) => Payload.toObject(Payload.fromObject(p), { bytes: String })),
  });
}

/**
 * An HTTP handler speaking Temporal's codec server protocol: `POST …/encode` and `POST …/decode` with a
 * `{"payloads":[…]}` body in proto3 JSON, answered in kind — what the Temporal Web UI and CLI call to show
 * encrypted payloads. CORS preflights are answered for the configured origins.
 */
export function codecServerHandler(
  options: CodecServerOptions,
): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const limit = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const origins = new Set(options.corsOrigins ?? []);
  return async (request, response) => {
    const origin = request.headers.origin;
    if (origin && (origins.has('*') || origins.has(origin))) {
      response.setHeader('Access-Control-Allow-Origin', origins.has('*') ? '*' : origin);
      response.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      response.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization, X-Namespace');
      response.setHeader('Access-Control-Allow-Credentials', 'true');
      response.setHeader('Vary', 'Origin');
    }
    try {
      if (request.method === 'OPTIONS') {
        response.writeHead(204).end();
        return;
      }
      const path = new URL(request.url ?? '/', 'http://codec').pathname.replace(/\/+$/, '');
      const operation = path.endsWith('/encode') ? 'encode' : path.endsWith('/decode') ? 'decode' : undefined;
      if (!operation) throw new HttpError(404, 'Not found: POST /encode or /decode');
      if (request.method !== 'POST') throw new HttpError(405, 'Use POST');
      if (options.authorize) {
        const namespace = request.headers['x-namespace'];
        const allowed = await options.authorize(
          request.headers.authorization,
          Array.isArray(namespace) ? namespace[0] : namespace,
        );
        if (!allowed) throw new HttpError(401, 'Unauthorized');
      }
      const payloads = payloadsFromJson(await readBody(request, limit));
      const out =
        operation === 'encode'
          ? await encodePayloads(options.codecs, payloads)
          : await decodePayloads(options.codecs, payloads);
      response.writeHead(200, { 'Content-Type': 'application/json' }).end(payloadsToJson(out));
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 400;
      const message = error instanceof Error ? error.message : String(error);
      response.writeHead(status, { 'Content-Type': 'text/plain' }).end(message);
    }
  };
}

export interface RunningCodecServer {
  /** http://host:port */
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Starts a codec server on `host:port` (127.0.0.1 and a free port by default). */
export async function startCodecServer(
  options: CodecServerOptions & { host?: string; port?: number },
): Promise<RunningCodecServer> {
  const handler = codecServerHandler(options);
  const server = createServer((request, response) => void handler(request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}

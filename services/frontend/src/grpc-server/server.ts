// Odin's gRPC server for the frontend's client port: unary and server-streaming calls on node:http2.
//
// Hand-written rather than grpc-js's `Server` for its per-call cost: under an empty unary call (GetSystemInfo) at 64
// in flight, grpc-js's server spent ~90–120 µs of CPU per call against ~45–55 µs for a bare node:http2 responder
// (260 against ~105 µs at 1 in flight); a profile showed grpc-js itself at ~15 % and the garbage of its per-call
// objects (intercepting call, Metadata built from the headers, interceptors, channelz, listeners) at ~12 %. A
// workflow makes several RPCs, so this was ~10 % of the server's CPU per workflow (bench/rpc/run.ts measures it).
// The frontend needs only unary calls, the one server stream of gRPC health's Watch and the multiplexed call stream
// of `@odin/sdk` (mux-stream.ts), which is what this serves, with what grpc-js did observably: its status codes and
// messages, trailers-only errors, request encodings (identity, gzip, deflate), size limits, deadlines, idle GOAWAY,
// graceful shutdown. The internal cluster ports keep grpc-js.
import {
  createSecureServer,
  createServer,
  type Http2SecureServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Socket } from 'node:net';
import { CLIENT_MUX_PATH } from '@odin/api/public';
import { followTlsMaterial, type TlsMaterial, tlsServerOptions } from '@odin/runtime';
import {
  type CallLimits,
  countStream,
  type MethodHandler,
  type StreamHandler,
  serveCall,
  type UnaryHandler,
} from './calls.js';
import { serveMuxStream } from './mux-stream.js';
import { type SessionState, Sessions } from './sessions.js';
import { status } from '@grpc/grpc-js';
import { GrpcStatusError, trailersOnly } from './status.js';

export interface GrpcServerOptions {
  /** Largest request message (compressed and decompressed); longer ones are RESOURCE_EXHAUSTED. */
  readonly maxReceiveBytes: number;
  /** Largest response message; a longer answer becomes RESOURCE_EXHAUSTED. */
  readonly maxSendBytes: number;
  /** GOAWAY to a connection without a call for this long (grpc-js's `grpc.max_connection_idle_ms`). */
  readonly idleMs: number;
  /**
   * TLS, the certificate following the material's rotations (new connections get the new one). With a CA bundle in
   * the material, client certificates are required and verified.
   */
  readonly tls?: TlsMaterial;
  /** The reason a cancelled call's signal is aborted with. */
  readonly abortReason: () => unknown;
}

const SESSION = Symbol('grpc session');
type TrackedSession = ServerHttp2Session & { [SESSION]?: SessionState };

/** Request headers whose content type is not gRPC's are answered 415, as grpc-js does. */
function isGrpc(headers: IncomingHttpHeaders): boolean {
  const type = headers['content-type'];
  return typeof type === 'string' && type.startsWith('application/grpc');
}

/** A gRPC server over connections handed to it (see acceptConnection); it binds no port itself. */
export class GrpcServer {
  readonly #methods = new Map<string, MethodHandler>();
  readonly #limits: CallLimits;
  readonly #sessions: Sessions;
  readonly #http2: Http2Server | Http2SecureServer;

  constructor(options: GrpcServerOptions) {
    this.#limits = {
      maxReceiveBytes: options.maxReceiveBytes,
      maxSendBytes: options.maxSendBytes,
      abortReason: options.abortReason,
    };
    this.#sessions = new Sessions(options.idleMs);
    // grpc-js's session options: no limit on the header block it sends, and nghttp2's session memory check off
    // (Node degrades badly when it trips).
    const common = {
      maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER,
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
    };
    if (options.tls) {
      const server = createSecureServer({ ...common, ...tlsServerOptions(options.tls) });
      followTlsMaterial(server, options.tls);
      // A TLS socket's errors (a client gone mid-handshake) must not become uncaught errors.
      server.on('secureConnection', (socket) => socket.on('error', () => undefined));
      this.#http2 = server;
    } else {
      this.#http2 = createServer(common);
    }
    this.#http2.setTimeout(0);
    this.#http2.on('session', (session: TrackedSession) => {
      session[SESSION] = this.#sessions.add(session);
    });
    this.#http2.on('stream', (stream, headers) => this.#onStream(stream, headers));
  }

  /** Serves `path` (`/package.Service/Method`) with a unary handler. */
  addUnary(path: string, handler: UnaryHandler): void {
    this.#methods.set(path, { kind: 'unary', handler });
  }

  /** Serves `path` with a server-streaming handler. */
  addServerStream(path: string, handler: StreamHandler): void {
    this.#methods.set(path, { kind: 'stream', handler });
  }

  /** Serves an accepted connection (TLS handshake first on a TLS server). */
  acceptConnection(socket: Socket): void {
    this.#http2.emit('connection', socket);
  }

  /** Open HTTP/2 connections. */
  get sessions(): number {
    return this.#sessions.size;
  }

  /**
   * GOAWAY to every connection: running calls may finish, new ones are refused. Resolves once every connection has
   * closed; `destroy` ends the wait.
   */
  close(): Promise<void> {
    // Stops following the TLS material (the server never listened: close only emits 'close').
    this.#http2.close();
    return this.#sessions.closeAll();
  }

  /** Resets every connection still open (the end of a shutdown's grace). */
  destroy(): void {
    this.#sessions.destroyAll();
  }

  #onStream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
    const session = (stream.session as TrackedSession | undefined)?.[SESSION];
    if (!session) {
      stream.close();
      return;
    }
    if (!isGrpc(headers)) {
      countStream(stream, session);
      stream.respond({ ':status': 415 }, { endStream: true });
      return;
    }
    const path = headers[':path'] ?? '';
    if (path === CLIENT_MUX_PATH) {
      serveMuxStream(stream, headers, session, this.#methods, this.#limits);
      return;
    }
    const method = this.#methods.get(path);
    if (!method) {
      countStream(stream, session);
      stream.respond(
        trailersOnly(
          new GrpcStatusError(status.UNIMPLEMENTED, `The server does not implement the method ${path}`),
        ),
        { endStream: true },
      );
      return;
    }
    serveCall(stream, path, headers, session, method, this.#limits);
  }
}

import { status } from '@grpc/grpc-js';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer } from 'node:net';
import {
  activeTraceId,
  checkHealth,
  contextFromCarrier,
  HealthStatuses,
  ServingStatus,
  type HistoryApi,
  inServerSpan,
  type MatchingApi,
  findInvalidDuration,
  type PeerIdentity,
  peerIdentityOf,
  type SchedulerApi,
  type TraceContext,
  requestAttributes,
  rpcTracing,
  ServiceError,
  protoRoot,
} from '@odin/api';
import { type PersistenceStore, SearchAttributeRegistry } from '@odin/persistence';
import type { Type } from 'protobufjs';
import { type Logger, type RuntimeContext, type TlsMaterial, withLogContext } from '@odin/runtime';
import { type CallerCredentials, credentialsFromHttpHeaders, tlsPeerOf } from './auth/credentials.js';
import { RequestAuthorization } from './auth/request-authorization.js';
import { toGrpcFailure, toServiceError } from './errors.js';
import { type Admission, RequestLimits } from './limits/request-limits.js';
import { withinBlobLimit } from './limits/request-payloads.js';
import {
  decodeRequest,
  encodeMessage,
  HEALTH_SERVICE,
  methodCodecs,
  OPERATOR_SERVICE,
  UndecodableRequest,
  WORKFLOW_SERVICE,
} from './grpc-service.js';
import {
  GrpcServer,
  GrpcStatusError,
  type IncomingCall,
  metadataValue,
  type ServerStream,
  type UnaryHandler,
} from './grpc-server/index.js';
import type { FrontendDeps, HandlerMap } from './handler-types.js';
import { namespaceHandlers } from './handlers/namespace.js';
import { scheduleHandlers } from './handlers/schedules.js';
import { batchHandlers } from './handlers/batch.js';
import { operatorHandlers } from './handlers/operator.js';
import { systemHandlers } from './handlers/system.js';
import { taskHandlers } from './handlers/tasks.js';
import { updateHandlers } from './handlers/updates.js';
import { visibilityHandlers } from './handlers/visibility.js';
import { workflowHandlers } from './handlers/workflow.js';
import { NamespaceResolver } from './namespaces.js';
import { FrontendCall } from './rpc-call.js';
import { headerTraceContext } from './trace-context.js';

export interface FrontendServiceDeps {
  readonly history: HistoryApi;
  readonly matching: MatchingApi;
  /** The schedule service (the system worker's); without it the schedule RPCs answer UNIMPLEMENTED. */
  readonly schedules?: SchedulerApi;
}

export interface InvokeOptions {
  /** Epoch ms the client stops waiting (the gRPC deadline). */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
  readonly correlationId?: string;
  readonly identity?: string;
  /** The client's verified TLS certificate, when the call came over mutual TLS. */
  readonly peer?: PeerIdentity;
  /** The bearer token / client certificate the call came with; what authorization judges when it is on. */
  readonly credentials?: CallerCredentials;
  /** The trace context the call came with (W3C `traceparent` metadata); the request's `_tracer-data` header otherwise. */
  readonly traceContext?: TraceContext;
}

export interface ListenOptions {
  /**
   * TLS for the port, reloaded when its files change (new connections get the new certificate). With a CA bundle
   * in the material, clients must present a certificate it signed. Default: plaintext.
   */
  readonly tls?: TlsMaterial;
  /**
   * Largest request message: the gRPC server refuses a longer one (RESOURCE_EXHAUSTED) from its length prefix,
   * before buffering it. Default DEFAULT_MAX_REQUEST_BYTES.
   */
  readonly maxRequestBytes?: number;
  /** Open connections at most; more are closed as they arrive (0 = no limit). Default DEFAULT_MAX_CONNECTIONS. */
  readonly maxConnections?: number;
  /** A connection without a call for this long is closed with GOAWAY. Default DEFAULT_CONNECTION_IDLE_MS. */
  readonly connectionIdleTimeoutMs?: number;
  /**
   * Mark the health statuses SERVING once the port is bound (default true). A server assembly that has more to
   * start afterwards passes false and marks them itself when the whole process is ready.
   */
  readonly markServing?: boolean;
}

const COMMANDS: ReadonlySet<string> = new Set(['commands']);
const NONE: ReadonlySet<string> = new Set();

/** Temporal's frontend default for a request message (its gRPC receive limit). */
export const DEFAULT_MAX_REQUEST_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/** Temporal's frontend `keepAliveMaxConnectionIdle`. */
export const DEFAULT_CONNECTION_IDLE_MS = 2 * 60_000;
/** Responses (histories) may be larger than requests; clients page them below their own 4 MiB limit. */
const MAX_RESPONSE_BYTES = 128 * 1024 * 1024;

const TRACE_KEYS = ['traceparent', 'tracestate'] as const;

/** The W3C trace context entries of a call's metadata. */
function traceCarrierOf(call: IncomingCall): Record<string, string> {
  const carrier: Record<string, string> = {};
  for (const key of TRACE_KEYS) {
    const value = metadataValue(call.headers, key);
    if (value !== undefined) carrier[key] = value;
  }
  return carrier;
}

/** A request's bytes as the message a handler takes, and the handler's answer as bytes. */
interface MethodCodec {
  readonly decode: (bytes: Buffer) => object;
  readonly encode: (value: object) => Uint8Array;
}

/** grpc-js's answer to bytes its deserializer refused (the health messages; Temporal's get UndecodableRequest). */
function healthCodec(requestName: string, responseName: string): MethodCodec {
  const request = protoRoot.lookupType(`grpc.health.v1.${requestName}`);
  const response = protoRoot.lookupType(`grpc.health.v1.${responseName}`);
  return {
    decode: (bytes) => {
      try {
        return request.toObject(request.decode(bytes), { defaults: true });
      } catch {
        throw new GrpcStatusError(status.INTERNAL, 'Error deserializing request');
      }
    },
    encode: (value) => response.encode(response.fromObject(value)).finish(),
  };
}

/**
 * Temporal's WorkflowService (plus the OperatorService calls clients make and gRPC health) over gRPC. Stateless:
 * it validates, resolves the namespace and routes each call to history or matching. Any method without a handler
 * answers UNIMPLEMENTED naming the method.
 */
export class FrontendService {
  readonly #ctx: RuntimeContext<PersistenceStore>;
  readonly #log: Logger;
  readonly #handlers: ReadonlyMap<string, HandlerMap>;
  readonly #inflight = new Set<AbortController>();
  /** Request message type by `service/method`. */
  readonly #requestTypes = new Map<string, Type>();
  readonly #limits: RequestLimits;
  /** Undefined while authorization is off (the default): calls then run as they always did. */
  readonly #authorization: RequestAuthorization | undefined;
  #server: GrpcServer | undefined;
  /** The TCP listener of the gRPC port: it owns the connection cap, the gRPC server gets each accepted socket. */
  #listener: NetServer | undefined;
  /** Whether the port verifies client certificates (only then can a call carry a peer identity). */
  #verifiesClients = false;

  readonly namespaces: NamespaceResolver;
  /**
   * gRPC health of the frontend port: "" and the WorkflowService / OperatorService, NOT_SERVING until `listen` bound
   * the port and again from the moment `stop` begins.
   */
  readonly health = new HealthStatuses([WORKFLOW_SERVICE, OPERATOR_SERVICE]);

  constructor(ctx: RuntimeContext<PersistenceStore>, deps: FrontendServiceDeps) {
    this.#ctx = ctx;
    this.#log = withLogContext(ctx.logger, { component: 'frontend' });
    this.namespaces = new NamespaceResolver(ctx.store.namespaces, ctx.clock);
    this.#limits = new RequestLimits(ctx.clock, {
      namespaceRps: ctx.config.namespaceRps,
      ...(ctx.config.namespaceBurst === undefined ? {} : { namespaceBurst: ctx.config.namespaceBurst }),
      maxLongPollsPerNamespace: ctx.config.maxLongPollsPerNamespace,
      maxLongPolls: ctx.config.maxLongPolls,
    });
    this.#authorization = RequestAuthorization.fromConfig(ctx.config, {
      clock: ctx.clock,
      logger: this.#log,
      namespaces: this.namespaces,
    });
    const shared: FrontendDeps = {
      ctx,
      history: deps.history,
      matching: deps.matching,
      namespaces: this.namespaces,
      searchAttributes: new SearchAttributeRegistry(ctx.store.searchAttributes, ctx.clock),
    };
    this.#handlers = new Map<string, HandlerMap>([
      [
        WORKFLOW_SERVICE,
        {
          ...systemHandlers(shared, deps.schedules !== undefined),
          ...namespaceHandlers(shared),
          ...workflowHandlers(shared),
          ...updateHandlers(shared),
          ...taskHandlers(shared),
          ...visibilityHandlers(shared),
          ...batchHandlers(shared),
          ...(deps.schedules ? scheduleHandlers(shared, deps.schedules) : {}),
        },
      ],
      [OPERATOR_SERVICE, operatorHandlers(shared)],
      [
        HEALTH_SERVICE,
        {
          Check: async (request) => checkHealth(this.health, (request as { service?: string }).service ?? ''),
        },
      ],
    ]);
    for (const service of [WORKFLOW_SERVICE, OPERATOR_SERVICE]) {
      for (const codec of methodCodecs(service))
        this.#requestTypes.set(`${service}/${codec.name}`, codec.requestType);
    }
  }

  /** The method names this frontend implements (the rest answer UNIMPLEMENTED). */
  implemented(service: string = WORKFLOW_SERVICE): string[] {
    return Object.keys(this.#handlers.get(service) ?? {});
  }

  /**
   * Runs one RPC without gRPC: validation, routing, metrics and logs exactly as a network call gets them.
   * Throws the ServiceError a client would receive.
   */
  async invoke(
    service: string,
    method: string,
    request: object,
    options: InvokeOptions = {},
  ): Promise<object> {
    return this.#traced(service, method, request, options, undefined);
  }

  #traced(
    service: string,
    method: string,
    request: object,
    options: InvokeOptions,
    owned: AbortController | undefined,
  ): Promise<object> {
    if (!rpcTracing.active) return this.#invoke(service, method, request, options, owned);
    return inServerSpan(
      {
        service,
        method,
        parent: options.traceContext ?? headerTraceContext(request),
        attributes: requestAttributes(request),
      },
      () => this.#invoke(service, method, request, options, owned),
    );
  }

  /**
   * `owned`: the call's own controller, which only the caller and this service abort (the gRPC handler's); the call
   * then runs on it directly. Without it the call gets a controller of its own that follows `options.signal`, so
   * shutting the service down never aborts a signal the caller shares with other work. (A second controller and its
   * listener per gRPC call cost measurable CPU.)
   */
  async #invoke(
    service: string,
    method: string,
    request: object,
    options: InvokeOptions,
    owned: AbortController | undefined,
  ): Promise<object> {
    const correlationId = options.correlationId ?? this.#ctx.random.uuid();
    const controller = owned ?? new AbortController();
    const follows = owned === undefined ? options.signal : undefined;
    // Only a call without a controller of its own follows the caller's signal (see above).
    const onAbort = follows && (() => controller.abort(follows.reason));
    if (follows?.aborted) controller.abort(follows.reason);
    else if (onAbort) follows?.addEventListener('abort', onAbort, { once: true });
    this.#inflight.add(controller);
    const identity = options.identity ?? (request as { identity?: unknown }).identity;
    const call = new FrontendCall(
      method,
      correlationId,
      controller.signal,
      {
        deadline: options.deadline,
        identity: typeof identity === 'string' ? identity : undefined,
        peer: options.peer,
      },
      {
        base: this.#log,
        traceId: activeTraceId(),
        namespace: (request as { namespace?: unknown }).namespace,
      },
    );
    const serviceLabel = service.slice(service.lastIndexOf('.') + 1);
    const started = this.#ctx.clock.now();
    let code = 'OK';
    let admission: Admission | undefined;
    try {
      if (request instanceof UndecodableRequest) throw request.error;
      // Authorization comes first: a caller without the right learns nothing, not even what is implemented.
      // A verified client certificate is part of the caller's credentials (mTLS subject → claims).
      const credentials = options.peer
        ? { ...options.credentials, tlsPeer: tlsPeerOf(options.peer) }
        : options.credentials;
      const authorized = await this.#authorization?.authorize(service, method, request, credentials);
      const handlers = this.#handlers.get(service);
      if (!handlers?.[method]) throw ServiceError.unimplemented(method);
      // Then the rate and concurrency limits, before any work is done for the call, then the request's own checks
      // (durations, payload sizes).
      admission = this.#limits.admit(method, request);
      this.#checkDurations(service, method, request);
      const checked = withinBlobLimit(
        method,
        authorized ? authorized.request : request,
        this.#ctx.config.blobSizeLimitError,
      );
      const handler = handlers[checked.method]!;
      const response = await handler(
        checked.request,
        checked.method === method ? call : call.as(checked.method),
      );
      admission.respond(response);
      return authorized ? authorized.respond(response) : response;
    } catch (thrown) {
      const error = toServiceError(thrown, correlationId);
      code = status[error.code] ?? String(error.code);
      if (error.code === status.INTERNAL && !(thrown instanceof ServiceError)) {
        call.logger.error({ err: thrown, method }, 'request failed with an unexpected error');
      } else if (error.code !== status.CANCELLED && this.#log.isLevelEnabled('debug')) {
        call.logger.debug({ method, code, reason: error.message }, 'request refused');
      }
      throw error;
    } finally {
      admission?.release();
      if (onAbort) follows?.removeEventListener('abort', onAbort);
      this.#inflight.delete(controller);
      this.#ctx.metrics.rpcRequestsTotal.inc({ service: serviceLabel, method, code });
      this.#ctx.metrics.rpcLatencySeconds.observe(
        { service: serviceLabel, method },
        (this.#ctx.clock.now() - started) / 1000,
      );
    }
  }

  /**
   * Every google.protobuf.Duration of the request must be one (nanos below a second, seconds within range), as
   * Temporal requires of each it reads. A completion's commands are left to history, which fails the workflow task
   * with the command's own cause, as Temporal does.
   */
  #checkDurations(service: string, method: string, request: object): void {
    const type = this.#requestTypes.get(`${service}/${method}`);
    if (!type) return;
    const problem = findInvalidDuration(
      type,
      request,
      method === 'RespondWorkflowTaskCompleted' ? COMMANDS : NONE,
    );
    if (problem) throw ServiceError.invalidArgument(`${problem}.`);
  }

  /** The peer identity of a call on a port that verifies client certificates. */
  #peerOf(call: IncomingCall): PeerIdentity | undefined {
    return this.#verifiesClients ? peerIdentityOf({ sslPeerCertificate: call.peerCertificate() }) : undefined;
  }

  /** A unary gRPC method: decodes the request, runs it through #traced, encodes the answer or the failure. */
  #unaryHandler(service: string, name: string, codec: MethodCodec): UnaryHandler {
    return async (bytes, call) => {
      const request = codec.decode(bytes);
      const correlationId = metadataValue(call.headers, 'x-correlation-id');
      const peer = this.#peerOf(call);
      const traceContext = rpcTracing.active ? contextFromCarrier(traceCarrierOf(call)) : undefined;
      let response: object;
      try {
        response = await this.#traced(
          service,
          name,
          request,
          {
            signal: call.signal,
            credentials: credentialsFromHttpHeaders(call.headers),
            ...(call.deadline === undefined ? {} : { deadline: call.deadline }),
            ...(correlationId === undefined ? {} : { correlationId }),
            ...(peer === undefined ? {} : { peer }),
            ...(traceContext === undefined ? {} : { traceContext }),
          },
          // The server aborts the call's signal only while it runs: the client cancelled, or its deadline passed.
          // It is this call's own, so #invoke runs on it directly (see #invoke).
          call.controller,
        );
      } catch (thrown) {
        throw this.#failureOf(thrown as ServiceError, name);
      }
      try {
        return codec.encode(response);
      } catch {
        throw new GrpcStatusError(status.INTERNAL, 'Error serializing response');
      }
    };
  }

  /** A call's failure as the gRPC status it answers with; INTERNAL when the failure cannot be encoded. */
  #failureOf(error: ServiceError, method: string): GrpcStatusError {
    try {
      const failure = toGrpcFailure(error);
      return new GrpcStatusError(failure.code, failure.details, failure.metadata.getMap());
    } catch (encodeError) {
      // Answer the call whatever happens: a client must never wait for a reply that will not come.
      this.#log.error({ err: encodeError, method }, 'could not encode an error reply');
      return new GrpcStatusError(status.INTERNAL, error.message);
    }
  }

  /**
   * Health's Watch (a server stream): admitted by the same authorization as every call, then served by the health
   * statuses directly. A refusal carries its code and message only, as grpc-js sent it.
   */
  #watchHandler(codec: MethodCodec): (bytes: Buffer, call: ServerStream) => void {
    return (bytes, call) => {
      const request = { service: (codec.decode(bytes) as { service?: string }).service ?? '' };
      const peer = this.#peerOf(call);
      const credentials = credentialsFromHttpHeaders(call.headers);
      (
        this.#authorization?.authorize(
          HEALTH_SERVICE,
          'Watch',
          request,
          peer ? { ...credentials, tlsPeer: tlsPeerOf(peer) } : credentials,
        ) ?? Promise.resolve()
      ).then(
        () => {
          if (call.ended) return;
          const stop = this.health.watch(
            request.service,
            (next) => call.write(codec.encode({ status: next })),
            () => call.end(),
          );
          call.signal.addEventListener('abort', stop, { once: true });
        },
        (error: unknown) =>
          call.fail(
            error instanceof ServiceError
              ? new GrpcStatusError(error.code, error.message)
              : new GrpcStatusError(status.INTERNAL, String(error)),
          ),
      );
    };
  }

  /** Binds the gRPC server; port 0 picks a free one. Resolves with the bound port. */
  async listen(host: string, port: number, options: ListenOptions = {}): Promise<number> {
    if (this.#server) throw new Error('frontend is already listening');
    const idleMs = options.connectionIdleTimeoutMs ?? DEFAULT_CONNECTION_IDLE_MS;
    const server = new GrpcServer({
      maxReceiveBytes: options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
      maxSendBytes: MAX_RESPONSE_BYTES,
      idleMs,
      ...(options.tls === undefined ? {} : { tls: options.tls }),
      abortReason: () => ServiceError.canceled('The client cancelled the call.'),
    });
    for (const service of [WORKFLOW_SERVICE, OPERATOR_SERVICE]) {
      for (const codec of methodCodecs(service)) {
        server.addUnary(
          `/${service}/${codec.name}`,
          this.#unaryHandler(service, codec.name, {
            decode: (bytes) => decodeRequest(codec.requestType, bytes),
            encode: (value) => encodeMessage(codec.responseType, value),
          }),
        );
      }
    }
    // Check goes through invoke like every unary call (authorization, metrics); Watch streams.
    const health = healthCodec('HealthCheckRequest', 'HealthCheckResponse');
    server.addUnary(`/${HEALTH_SERVICE}/Check`, this.#unaryHandler(HEALTH_SERVICE, 'Check', health));
    server.addServerStream(`/${HEALTH_SERVICE}/Watch`, this.#watchHandler(health));
    this.#verifiesClients = options.tls?.hasCa === true;
    // The port is a node:net server (whose maxConnections closes sockets past the cap as they arrive) that hands
    // each accepted socket to the gRPC server.
    const listener = createNetServer((socket) => {
      // The gRPC server's idle timer (GOAWAY) starts with an HTTP/2 session, which a peer that never sends its
      // preface never opens: such a connection would hold a slot of the cap until the peer goes. One timer per
      // accepted socket resets it when nothing at all has arrived by the idle timeout (a real-time timer, as the
      // server's own: it measures a real socket).
      if (idleMs > 0) {
        const silent = setTimeout(() => {
          // destroy() leaves the handle to the HTTP/2 session, which waits for the peer; a reset closes it.
          if (socket.bytesRead === 0) socket.resetAndDestroy();
        }, idleMs);
        silent.unref();
        socket.once('close', () => clearTimeout(silent));
      }
      server.acceptConnection(socket);
    });
    const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (maxConnections > 0) listener.maxConnections = maxConnections;
    // Debug only: a flood of refused connections must not become a flood of log lines.
    listener.on('drop', () =>
      this.#log.debug({ max_connections: maxConnections }, 'connection refused: too many open connections'),
    );
    const bound = await new Promise<number>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(port, host, () => {
        listener.off('error', reject);
        resolve((listener.address() as AddressInfo).port);
      });
    });
    this.#server = server;
    this.#listener = listener;
    if (options.markServing !== false) this.health.setAll(ServingStatus.SERVING);
    this.#log.info(
      {
        host,
        port: bound,
        tls: options.tls === undefined ? 'off' : options.tls.hasCa ? 'mutual' : 'server-only',
      },
      'frontend listening',
    );
    return bound;
  }

  /**
   * Stops accepting calls, ends waiting long polls, and gives running calls `graceMs` to finish before they are
   * cancelled.
   */
  async stop(graceMs = 2000): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#listener?.close();
    this.#listener = undefined;
    this.health.setAll(ServingStatus.NOT_SERVING);
    this.health.closeWatches();
    for (const controller of this.#inflight)
      controller.abort(ServiceError.unavailable('The server is shutting down.'));
    if (!server) return;
    // GOAWAY to every connection; what still runs after the grace is reset.
    await new Promise<void>((resolve) => {
      const timer = this.#ctx.clock.setTimer(graceMs, () => {
        server.destroy();
        resolve();
      });
      server.close().then(() => {
        timer.cancel();
        resolve();
      });
    });
  }
}

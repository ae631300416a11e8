import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  type UntypedServiceImplementation,
  type Metadata,
  status,
} from '@grpc/grpc-js';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer } from 'node:net';
import {
  activeTraceId,
  checkHealth,
  contextFromCarrier,
  HealthStatuses,
  healthImplementation,
  healthServiceDefinition,
  ServingStatus,
  type HistoryApi,
  inServerSpan,
  type MatchingApi,
  echo,
  findInvalidDuration,
  type PeerIdentity,
  peerIdentityOf,
  type SchedulerApi,
  type TraceContext,
  requestAttributes,
  rpcTracing,
  ServiceError,
  traceCarrierOf,
  tlsServerCredentials,
} from '@odin/api';
import { type PersistenceStore, SearchAttributeRegistry } from '@odin/persistence';
import type { Type } from 'protobufjs';
import { type Logger, type RuntimeContext, type TlsMaterial, withLogContext } from '@odin/runtime';
import { type CallerCredentials, credentialsFromMetadata, tlsPeerOf } from './auth/credentials.js';
import { RequestAuthorization } from './auth/request-authorization.js';
import { toGrpcFailure, toServiceError } from './errors.js';
import { type Admission, RequestLimits } from './limits/request-limits.js';
import { withinBlobLimit } from './limits/request-payloads.js';
import {
  grpcServiceDefinition,
  HEALTH_SERVICE,
  methodCodecs,
  OPERATOR_SERVICE,
  UndecodableRequest,
  WORKFLOW_SERVICE,
} from './grpc-service.js';
import type { FrontendDeps, HandlerMap, RpcCall } from './handler-types.js';
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
   * Largest request message: grpc-js refuses a longer one (RESOURCE_EXHAUSTED) from its length prefix, before
   * buffering it. Default DEFAULT_MAX_REQUEST_BYTES.
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

/** Client sends 'grpc-timeout'; a grpc-js server exposes it as a Date, or Infinity when there is none. */
function deadlineMs(deadline: Date | number): number | undefined {
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : undefined;
}

function firstHeader(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' && value !== '' ? value : undefined;
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
  #server: Server | undefined;
  /** The TCP listener of the gRPC port: it owns the connection cap, grpc-js gets each accepted socket. */
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
    const onAbort = () => controller.abort(follows?.reason);
    if (follows?.aborted) controller.abort(follows.reason);
    else follows?.addEventListener('abort', onAbort, { once: true });
    this.#inflight.add(controller);
    const identity = options.identity ?? (request as { identity?: unknown }).identity;
    const namespace = (request as { namespace?: unknown }).namespace;
    const traceId = activeTraceId();
    // The call's child logger is made when something logs: most calls never do, and a pino child per call is
    // measurable CPU on the hot path.
    let callLogger: Logger | undefined;
    const log = (): Logger =>
      (callLogger ??= withLogContext(this.#log, {
        correlationId,
        ...(traceId === undefined ? {} : { traceId }),
        // Bounded like error messages: a log line must not carry a 200k-character name the request made up.
        ...(typeof namespace === 'string' ? { namespace: echo(namespace) } : {}),
        ...(typeof identity === 'string' ? { workerIdentity: echo(identity) } : {}),
      }));
    const call: RpcCall = {
      method,
      correlationId,
      get logger() {
        return log();
      },
      signal: controller.signal,
      ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
      ...(typeof identity === 'string' ? { identity } : {}),
      ...(options.peer === undefined ? {} : { peer: options.peer }),
    };
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
        checked.method === method ? call : { ...call, method: checked.method },
      );
      admission.respond(response);
      return authorized ? authorized.respond(response) : response;
    } catch (thrown) {
      const error = toServiceError(thrown, correlationId);
      code = status[error.code] ?? String(error.code);
      if (error.code === status.INTERNAL && !(thrown instanceof ServiceError)) {
        log().error({ err: thrown, method }, 'request failed with an unexpected error');
      } else if (error.code !== status.CANCELLED && this.#log.isLevelEnabled('debug')) {
        log().debug({ method, code, reason: error.message }, 'request refused');
      }
      throw error;
    } finally {
      admission?.release();
      follows?.removeEventListener('abort', onAbort);
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

  #grpcImplementation(service: string): UntypedServiceImplementation {
    const implementation: UntypedServiceImplementation = {};
    for (const { name } of methodCodecs(service)) {
      implementation[name] = (call: ServerUnaryCall<object, object>, callback: sendUnaryData<object>) => {
        const controller = new AbortController();
        // grpc-js reports every closed stream as cancelled, answered calls too: only a call still running is
        // cancelled (an error built per answered call cost measurable CPU).
        let answered = false;
        call.on('cancelled', () => {
          if (!answered) controller.abort(ServiceError.canceled('The client cancelled the call.'));
        });
        const deadline = deadlineMs(call.getDeadline());
        const correlationId = firstHeader(call.metadata, 'x-correlation-id');
        const peer = this.#verifiesClients ? peerIdentityOf(call.getAuthContext()) : undefined;
        const traceContext = rpcTracing.active
          ? contextFromCarrier(traceCarrierOf(call.metadata))
          : undefined;
        this.#traced(
          service,
          name,
          call.request,
          {
            signal: controller.signal,
            credentials: credentialsFromMetadata(call.metadata),
            ...(deadline === undefined ? {} : { deadline }),
            ...(correlationId === undefined ? {} : { correlationId }),
            ...(peer === undefined ? {} : { peer }),
            ...(traceContext === undefined ? {} : { traceContext }),
          },
          controller,
        ).then(
          (response) => {
            answered = true;
            callback(null, response);
          },
          (error: ServiceError) => {
            answered = true;
            try {
              const failure = toGrpcFailure(error);
              callback({ code: failure.code, details: failure.details, metadata: failure.metadata }, null);
            } catch (encodeError) {
              // Answer the call whatever happens: a client must never wait for a reply that will not come.
              this.#log.error({ err: encodeError, method: name }, 'could not encode an error reply');
              callback({ code: status.INTERNAL, details: error.message }, null);
            }
          },
        );
      };
    }
    return implementation;
  }

  /** Binds the gRPC server; port 0 picks a free one. Resolves with the bound port. */
  async listen(host: string, port: number, options: ListenOptions = {}): Promise<number> {
    if (this.#server) throw new Error('frontend is already listening');
    const server = new Server({
      'grpc.max_receive_message_length': options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
      'grpc.max_send_message_length': MAX_RESPONSE_BYTES,
      'grpc.max_connection_idle_ms': options.connectionIdleTimeoutMs ?? DEFAULT_CONNECTION_IDLE_MS,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 5000,
      // Channelz stays on: grpc-js 1.14 tracks the sessions forceShutdown destroys only through it.
    });
    for (const service of [WORKFLOW_SERVICE, OPERATOR_SERVICE]) {
      server.addService(grpcServiceDefinition(service), this.#grpcImplementation(service));
    }
    // Check goes through invoke like every unary call (authorization, metrics); Watch streams, so it is admitted
    // by the same authorization and then served by the health statuses directly.
    server.addService(healthServiceDefinition(), {
      Check: this.#grpcImplementation(HEALTH_SERVICE).Check,
      Watch: healthImplementation(this.health, {
        admit: async (method, request, call) => {
          const peer = this.#verifiesClients ? peerIdentityOf(call.getAuthContext()) : undefined;
          const credentials = credentialsFromMetadata(call.metadata);
          await this.#authorization?.authorize(
            HEALTH_SERVICE,
            method,
            request,
            peer ? { ...credentials, tlsPeer: tlsPeerOf(peer) } : credentials,
          );
        },
      }).Watch,
    } as UntypedServiceImplementation);
    this.#verifiesClients = options.tls?.hasCa === true;
    const credentials = options.tls
      ? tlsServerCredentials(options.tls, options.tls.hasCa)
      : ServerCredentials.createInsecure();
    // grpc-js binds no connection cap of its own: the port is a node:net server (whose maxConnections closes
    // sockets past the cap as they arrive) that hands each accepted socket to grpc-js.
    const injector = server.createConnectionInjector(credentials);
    const idleMs = options.connectionIdleTimeoutMs ?? DEFAULT_CONNECTION_IDLE_MS;
    const listener = createNetServer((socket) => {
      // grpc-js's idle timer (GOAWAY) starts with an HTTP/2 session, which a peer that never sends its preface never
      // opens: such a connection would hold a slot of the cap until the peer goes. One timer per accepted socket
      // resets it when nothing at all has arrived by the idle timeout (a real-time timer, as grpc-js's own: it
      // measures a real socket).
      if (idleMs > 0) {
        const silent = setTimeout(() => {
          // destroy() leaves the handle to the HTTP/2 session, which waits for the peer; a reset closes it.
          if (socket.bytesRead === 0) socket.resetAndDestroy();
        }, idleMs);
        silent.unref();
        socket.once('close', () => clearTimeout(silent));
      }
      injector.injectConnection(socket);
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
    await new Promise<void>((resolve) => {
      const timer = this.#ctx.clock.setTimer(graceMs, () => {
        server.forceShutdown();
        resolve();
      });
      server.tryShutdown(() => {
        timer.cancel();
        resolve();
      });
    });
  }
}

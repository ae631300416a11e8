import {
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type sendUnaryData,
  type UntypedServiceImplementation,
  type Metadata,
  status,
} from '@grpc/grpc-js';
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
  type PeerIdentity,
  peerIdentityOf,
  type TraceContext,
  requestAttributes,
  rpcTracing,
  ServiceError,
  traceCarrierOf,
  tlsServerCredentials,
} from '@odin/api';
import { type PersistenceStore, SearchAttributeRegistry } from '@odin/persistence';
import { type Logger, type RuntimeContext, type TlsMaterial, withLogContext } from '@odin/runtime';
import { type CallerCredentials, credentialsFromMetadata, tlsPeerOf } from './auth/credentials.js';
import { RequestAuthorization } from './auth/request-authorization.js';
import { toGrpcFailure, toServiceError } from './errors.js';
import {
  grpcServiceDefinition,
  HEALTH_SERVICE,
  methodCodecs,
  OPERATOR_SERVICE,
  WORKFLOW_SERVICE,
} from './grpc-service.js';
import type { FrontendDeps, HandlerMap, RpcCall } from './handler-types.js';
import { namespaceHandlers } from './handlers/namespace.js';
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
   * Mark the health statuses SERVING once the port is bound (default true). A server assembly that has more to
   * start afterwards passes false and marks them itself when the whole process is ready.
   */
  readonly markServing?: boolean;
}

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
  /** Undefined while authorization is off (the default): calls then run as they always did. */
  readonly #authorization: RequestAuthorization | undefined;
  #server: Server | undefined;
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
          ...systemHandlers(shared),
          ...namespaceHandlers(shared),
          ...workflowHandlers(shared),
          ...updateHandlers(shared),
          ...taskHandlers(shared),
          ...visibilityHandlers(shared),
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
    if (!rpcTracing.active) return this.#invoke(service, method, request, options);
    return inServerSpan(
      {
        service,
        method,
        parent: options.traceContext ?? headerTraceContext(request),
        attributes: requestAttributes(request),
      },
      () => this.#invoke(service, method, request, options),
    );
  }

  async #invoke(service: string, method: string, request: object, options: InvokeOptions): Promise<object> {
    const correlationId = options.correlationId ?? this.#ctx.random.uuid();
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) controller.abort(options.signal.reason);
    else options.signal?.addEventListener('abort', onAbort, { once: true });
    this.#inflight.add(controller);
    const identity = options.identity ?? (request as { identity?: unknown }).identity;
    const namespace = (request as { namespace?: unknown }).namespace;
    const traceId = activeTraceId();
    const logger = withLogContext(this.#log, {
      correlationId,
      ...(traceId === undefined ? {} : { traceId }),
      ...(typeof namespace === 'string' ? { namespace } : {}),
      ...(typeof identity === 'string' ? { workerIdentity: identity } : {}),
    });
    const call: RpcCall = {
      method,
      correlationId,
      logger,
      signal: controller.signal,
      ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
      ...(typeof identity === 'string' ? { identity } : {}),
      ...(options.peer === undefined ? {} : { peer: options.peer }),
    };
    const serviceLabel = service.slice(service.lastIndexOf('.') + 1);
    const started = this.#ctx.clock.now();
    let code = 'OK';
    try {
      // Authorization comes first: a caller without the right learns nothing, not even what is implemented.
      // A verified client certificate is part of the caller's credentials (mTLS subject → claims).
      const credentials = options.peer
        ? { ...options.credentials, tlsPeer: tlsPeerOf(options.peer) }
        : options.credentials;
      const authorized = await this.#authorization?.authorize(service, method, request, credentials);
      const handler = this.#handlers.get(service)?.[method];
      if (!handler) throw ServiceError.unimplemented(method);
      const response = await handler(authorized ? authorized.request : request, call);
      return authorized ? authorized.respond(response) : response;
    } catch (thrown) {
      const error = toServiceError(thrown, correlationId);
      code = status[error.code] ?? String(error.code);
      if (error.code === status.INTERNAL && !(thrown instanceof ServiceError)) {
        logger.error({ err: thrown, method }, 'request failed with an unexpected error');
      } else if (error.code !== status.CANCELLED) {
        logger.debug({ method, code, reason: error.message }, 'request refused');
      }
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      this.#inflight.delete(controller);
      this.#ctx.metrics.rpcRequestsTotal.inc({ service: serviceLabel, method, code });
      this.#ctx.metrics.rpcLatencySeconds.observe(
        { service: serviceLabel, method },
        (this.#ctx.clock.now() - started) / 1000,
      );
    }
  }

  #grpcImplementation(service: string): UntypedServiceImplementation {
    const implementation: UntypedServiceImplementation = {};
    for (const { name } of methodCodecs(service)) {
      implementation[name] = (call: ServerUnaryCall<object, object>, callback: sendUnaryData<object>) => {
        const controller = new AbortController();
        call.on('cancelled', () => controller.abort(ServiceError.canceled('The client cancelled the call.')));
        const deadline = deadlineMs(call.getDeadline());
        const correlationId = firstHeader(call.metadata, 'x-correlation-id');
        const peer = this.#verifiesClients ? peerIdentityOf(call.getAuthContext()) : undefined;
        const traceContext = rpcTracing.active
          ? contextFromCarrier(traceCarrierOf(call.metadata))
          : undefined;
        this.invoke(service, name, call.request, {
          signal: controller.signal,
          credentials: credentialsFromMetadata(call.metadata),
          ...(deadline === undefined ? {} : { deadline }),
          ...(correlationId === undefined ? {} : { correlationId }),
          ...(peer === undefined ? {} : { peer }),
          ...(traceContext === undefined ? {} : { traceContext }),
        }).then(
          (response) => callback(null, response),
          (error: ServiceError) => {
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
      'grpc.max_receive_message_length': 128 * 1024 * 1024,
      'grpc.max_send_message_length': 128 * 1024 * 1024,
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
    const bound = await new Promise<number>((resolve, reject) => {
      const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      const credentials = options.tls
        ? tlsServerCredentials(options.tls, options.tls.hasCa)
        : ServerCredentials.createInsecure();
      server.bindAsync(address, credentials, (error, boundPort) =>
        error ? reject(error) : resolve(boundPort),
      );
    });
    this.#server = server;
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

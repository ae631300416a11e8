import {
  type HealthStatuses,
  type InternalServer,
  type InternalServerOptions,
  rpcTracing,
  ServingStatus,
  startInternalServer,
} from '@odin/api';
import { HISTORY_ROLE, MATCHING_ROLE, type MemberRole, MembershipMonitor } from '@odin/cluster';
import { CLUSTER_NAME, ensureNamespace, FrontendService, startHttpServers } from '@odin/frontend';
import { type Clock, durationMs, SystemClock } from '@odin/hugo';
import type { HistoryLimits } from '@odin/history';
import {
  DEFAULT_LIMITS,
  loadKeyProvider,
  openStore,
  type PersistenceLimits,
  type PersistenceStore,
  redactConnectionUrl,
} from '@odin/persistence';
import {
  createRuntimeContext,
  loadServerTls,
  type OdinConfig,
  type RuntimeContext,
  startTraceExport,
} from '@odin/runtime';
import { uiAssetsDir } from '@odin/ui';
import {
  BatchRunner,
  CleanupWorker,
  NamespaceReclaimer,
  ScheduleRunner,
  ScheduleService,
} from '@odin/worker-service';
import { defaultHistoryService, type HistoryConstructor } from './history-role.js';
import { serveMetrics } from './metrics-endpoint.js';
import { Readiness } from './readiness.js';
import { frontendBatchCalls } from './batch-calls.js';
import { frontendScheduleWorkflows } from './schedule-workflows.js';
import { SERVICE_ROLES, type ServiceRole } from './roles.js';
import { type StopReport, StopSequence } from './stop-sequence.js';
import { type HistorySettings, wireClusterMember, wireOneProcess } from './wiring.js';

/** What an internal call adds around the client request it forwards (namespace, task token, poll fields). */
const INTERNAL_ENVELOPE_BYTES = 64 * 1024;

/** The history limits the configuration sets (docs/security.md, "Limits"). */
export function historyLimits(config: OdinConfig): HistoryLimits {
  return {
    countSuggestContinueAsNew: config.historyCountSuggestContinueAsNew,
    sizeSuggestContinueAsNew: config.historySizeSuggestContinueAsNew,
    countWarn: config.historyCountLimitWarn,
    sizeWarn: config.historySizeLimitWarn,
    countError: config.historyCountLimitError,
    sizeError: config.historySizeLimitError,
    blobWarn: config.blobSizeLimitWarn,
    blobError: config.blobSizeLimitError,
    stateError: config.mutableStateSizeLimitError,
  };
}

/**
 * The store's own checks are a safety net behind history's limits, never the limit a workflow meets: history
 * terminates a run before its history reaches HISTORY_COUNT_LIMIT_ERROR, and a transition that closes a run (always
 * allowed) may add events past it, so the store takes twice as many; an event holds at most what one request
 * brought, and a run's state may hold several payloads.
 */
export function storeLimits(config: OdinConfig): Partial<PersistenceLimits> {
  return {
    maxHistoryEvents: Math.max(DEFAULT_LIMITS.maxHistoryEvents, 2 * config.historyCountLimitError),
    maxEventBytes: Math.max(DEFAULT_LIMITS.maxEventBytes, config.maxRequestBytes + INTERNAL_ENVELOPE_BYTES),
    maxPayloadBytes: Math.max(DEFAULT_LIMITS.maxPayloadBytes, 8 * config.maxRequestBytes),
  };
}

/** How long the frontend and the internal gRPC servers let calls in flight finish when they stop. */
const RPC_STOP_GRACE_MS = 2_000;

export interface ServerOptions {
  readonly config: OdinConfig;
  /** Database URL (sqlite:…, postgres://…, mysql://…). */
  readonly dbUrl: string;
  /** Apply pending migrations on start (dev, tests); otherwise a schema older than this build is refused. */
  readonly migrate?: boolean;
  /**
   * `all` (the default): every role in this process, alone on its database; it holds every shard and task queue
   * and registers no membership. A set of roles: those roles as one member of a cluster, the others running in
   * other processes on the same database (membership, routing over the ring, internal gRPC servers). A set that
   * names every role is still a cluster member.
   */
  readonly services?: 'all' | ReadonlySet<ServiceRole>;
  /** Namespaces created when missing besides `default` (by a process that runs the frontend). */
  readonly namespaces?: readonly string[];
  readonly clock?: Clock;
  /** For tests that swap the history role. */
  readonly historyService?: HistoryConstructor;
  /** Retention sweep interval of the cleanup system worker; default one hour. */
  readonly retentionSweepIntervalMs?: number;
  /** Longest time between two scans of due schedules (and of running batch operations) by the system worker; default one second. */
  readonly scheduleScanIntervalMs?: number;
  /**
   * Serve Temporal's HTTP API on `config.httpPort` beside the gRPC frontend (a process that runs the frontend role;
   * ignored elsewhere). Off unless asked, so an embedded server never takes a fixed port it was not given.
   */
  readonly httpApi?: boolean;
  /** Serve the web UI on `config.uiPort` (a process that runs the frontend role), likewise off unless asked. */
  readonly webUi?: boolean;
}

export interface RunningServer {
  readonly services: ReadonlySet<ServiceRole>;
  /** host:port of the gRPC frontend, when this process runs it. */
  readonly address?: string;
  readonly port?: number;
  /** Where peers reach this process's history and matching roles (cluster members). */
  readonly historyAddress?: string;
  readonly matchingAddress?: string;
  /** Port of GET /metrics when HUGO_ORCHESTRATOR_METRICS_PORT / metricsPort asked for one. */
  readonly metricsPort?: number;
  /** Port of Temporal's HTTP API, when this process runs the frontend and httpApi asked for it. */
  readonly httpPort?: number;
  /** Port of the web UI, when this process runs the frontend and webUi asked for it. */
  readonly uiPort?: number;
  readonly ctx: RuntimeContext<PersistenceStore>;
  /** Stops every part in STOP_ORDER, the database last; calls after the first return the same promise. */
  stop(): Promise<void>;
  /** stop(), resolving with which parts stopped in which order and how long each took. */
  stopWithReport(): Promise<StopReport>;
}

/**
 * The one assembly of a server process, for every topology (see ServerOptions.services): opens the store,
 * verifies the cluster's shard count, builds the roles this process runs (wiring.ts), starts them, then takes
 * client calls. Start order: trace export (when HUGO_ORCHESTRATOR_OTLP_ENDPOINT is set), the metrics port (with
 * /healthz and /readyz), matching, the internal gRPC servers with the finished roles, the membership registration
 * (so the ring history reconciles against holds this host), history, the system worker, the frontend with its HTTP
 * API and web UI (when asked); then every gRPC health status turns SERVING and /readyz ready. Stop order:
 * STOP_ORDER, after health and readiness turned NOT_SERVING.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { config } = options;
  const clustered = options.services !== undefined && options.services !== 'all';
  const services: ReadonlySet<ServiceRole> =
    options.services === undefined || options.services === 'all' ? new Set(SERVICE_ROLES) : options.services;
  const clock = options.clock ?? new SystemClock();
  const keyProvider = await loadKeyProvider({
    keyFile: config.encryptionKeyFile,
    keys: config.encryptionKey,
  });
  const store = await openStore({
    url: options.dbUrl,
    migrate: options.migrate ?? false,
    clock,
    poolSize: config.dbPoolSize,
    limits: storeLimits(config),
    encryption: { provider: keyProvider, refreshIntervalMs: config.encryptionKeyRefreshIntervalMs },
  });
  const ctx = createRuntimeContext({ store, config, clock });
  const log = ctx.logger.child({ component: 'server', services: [...services].join(',') });
  const running = new AbortController();
  const stops = new StopSequence();
  stops.add('store', () => store.close());
  stops.add('signal', () => running.abort());
  const readiness = new Readiness(store);
  /** The gRPC health of every port of this process: NOT_SERVING until it is ready, and again once it drains. */
  const healths: HealthStatuses[] = [];
  try {
    if (config.otlpEndpoint !== undefined) {
      const traces = await startTraceExport({
        endpoint: config.otlpEndpoint,
        serviceName: services.size === 1 ? `odin-${[...services][0]}` : 'odin',
        instanceId: ctx.hostId,
        logger: ctx.logger.child({ component: 'tracing' }),
        onActive: (active) => {
          rpcTracing.active = active;
        },
      });
      stops.add('tracing', () => traces.shutdown());
    }
    // The metrics port comes first, so /healthz answers and /readyz says "starting" while the roles start.
    const metrics =
      config.metricsPort > 0
        ? await serveMetrics(ctx.metrics, config.bindIp, config.metricsPort, {
            readiness: () => readiness.checks(),
          })
        : undefined;
    if (metrics) stops.add('metrics', () => metrics.close());

    // One TlsMaterial per kind of port, watched for rotation until the process stops: every client-facing listener
    // gets `tls.public`, every internal server and client `tls.internal`.
    const tls = await loadServerTls(
      config,
      { clock, logger: ctx.logger, signal: running.signal },
      { public: services.has('frontend'), internal: clustered },
    );

    await store.cluster.initOrVerifyClusterMetadata({
      clusterName: CLUSTER_NAME,
      shardCount: config.shardCount,
      now: clock.now(),
    });
    if (services.has('frontend')) {
      for (const name of new Set(['default', ...(options.namespaces ?? [])])) {
        await ensureNamespace(store.namespaces, {
          id: ctx.random.uuid(),
          name,
          retentionMs: durationMs(`${config.historyRetentionDays}d`),
          now: clock.now(),
          searchAttributes: store.searchAttributes,
        });
      }
    }

    const history: HistorySettings = {
      construct: options.historyService ?? defaultHistoryService,
      shardCount: config.shardCount,
      options: {
        eagerActivityExecution: config.eagerActivityExecution,
        eagerWorkflowStart: config.eagerWorkflowStart,
        historyPageBytes: config.historyPageMaxBytes,
        cacheSizePerHost: config.historyCacheMaxRuns,
        cacheBytesPerHost: config.historyCacheMaxBytes,
        historyLimits: historyLimits(config),
      },
    };
    const monitor = clustered
      ? new MembershipMonitor(
          store.membership,
          clock,
          ctx.hostId,
          { heartbeatIntervalMs: config.membershipHeartbeatIntervalMs, ttlMs: config.membershipTtlMs },
          ctx.logger.child({ component: 'membership' }),
        )
      : undefined;
    const roles = monitor
      ? wireClusterMember(ctx, monitor, services, history, tls.internal)
      : wireOneProcess(ctx, history);
    if (roles.closeRouters) stops.add('routers', roles.closeRouters);

    const { matching } = roles;
    if (matching) {
      await matching.start(running.signal);
      stops.add('matching', () => matching.stop());
    }

    let historyAddress: string | undefined;
    let matchingAddress: string | undefined;
    if (monitor) {
      const broadcast = config.broadcastAddress ?? config.bindIp;
      const servers: InternalServer[] = [];
      const serve = async (options: InternalServerOptions): Promise<InternalServer> => {
        if (servers.length === 0) {
          stops.add('internal-rpc', async () => {
            await Promise.all(servers.map((server) => server.stop(RPC_STOP_GRACE_MS)));
          });
        }
        const server = await startInternalServer({
          ...options,
          maxReceiveMessageBytes: config.maxRequestBytes + INTERNAL_ENVELOPE_BYTES,
          ...(tls.internal ? { tls: tls.internal } : {}),
        });
        servers.push(server);
        healths.push(server.health);
        return server;
      };
      const members: MemberRole[] = [];
      if (roles.history) {
        const server = await serve({ host: config.bindIp, port: config.historyPort, history: roles.history });
        historyAddress = `${broadcast}:${server.port}`;
        members.push({ role: HISTORY_ROLE, rpcAddress: historyAddress });
      }
      if (matching) {
        const server = await serve({ host: config.bindIp, port: config.matchingPort, matching });
        matchingAddress = `${broadcast}:${server.port}`;
        members.push({ role: MATCHING_ROLE, rpcAddress: matchingAddress });
      }
      if (services.has('frontend'))
        members.push({ role: 'frontend', rpcAddress: `${broadcast}:${config.frontendPort}` });
      if (services.has('worker')) members.push({ role: 'worker', rpcAddress: '' });
      // Registered once the roles serve, and before history starts: the ring it reconciles its shards against
      // must already hold this host.
      await monitor.start(members, running.signal);
      stops.add('membership', () => monitor.stop());
    }

    const historyRole = roles.history;
    if (historyRole) {
      await historyRole.start(running.signal);
      stops.add('history', () => historyRole.stop());
      const shards = historyRole.shards;
      if (shards) {
        // Alone on its database the host must hold every shard; a cluster member holds what the ring gives it
        // (possibly none, with more hosts than shards), so there only the count is reported.
        readiness.addCheck(() => {
          const owned = shards.ownedShardIds().length;
          const ok = clustered || owned === config.shardCount;
          return {
            name: 'history-shards',
            ok,
            detail: clustered ? `${owned} owned` : `${owned} of ${config.shardCount} owned`,
          };
        });
      }
    }

    // Schedules: the rows are read and written by the schedule service wherever the frontend runs, and run by the
    // system worker, which starts their workflows through a frontend in this process (the client-facing one, or
    // one that only serves these in-process calls when this process runs no frontend role).
    let scheduleRunner: ScheduleRunner | undefined;
    const schedules = new ScheduleService({ store, clock, onDue: (at) => scheduleRunner?.wake(at) });
    const frontend =
      services.has('frontend') || services.has('worker')
        ? new FrontendService(ctx, {
            history: roles.historyClient,
            matching: roles.matchingClient,
            schedules,
          })
        : undefined;

    if (services.has('worker') && frontend) {
      const cleanup = new CleanupWorker({
        store,
        clock,
        logger: ctx.logger.child({ component: 'cleanup-worker' }),
        defaultRetentionDays: config.historyRetentionDays,
        ...(options.retentionSweepIntervalMs === undefined
          ? {}
          : { sweepIntervalMs: options.retentionSweepIntervalMs }),
      });
      const runner = new ScheduleRunner({
        store,
        clock,
        logger: ctx.logger.child({ component: 'schedule-worker' }),
        workflows: frontendScheduleWorkflows(frontend),
        ...(options.scheduleScanIntervalMs === undefined
          ? {}
          : { scanIntervalMs: options.scheduleScanIntervalMs }),
      });
      scheduleRunner = runner;
      // Batch operations: the frontend writes each job's row; this runner does the work through the frontend.
      const batches = new BatchRunner({
        store,
        clock,
        logger: ctx.logger.child({ component: 'batch-worker' }),
        calls: frontendBatchCalls(frontend),
        maxOperationsPerSecond: config.batchOperationsPerSecond,
        ...(options.scheduleScanIntervalMs === undefined
          ? {}
          : { scanIntervalMs: options.scheduleScanIntervalMs }),
      });
      // Deleted namespaces: their runs are deleted through history (running ones terminated first), then the row.
      const history = roles.historyClient;
      const reclaimer = new NamespaceReclaimer({
        store,
        clock,
        logger: ctx.logger.child({ component: 'namespace-reclaimer' }),
        deleteExecution: async (namespace, workflowExecution, signal) => {
          await history.deleteWorkflowExecution(
            namespace,
            { namespace: namespace.name, workflowExecution },
            { signal },
          );
        },
        ...(options.scheduleScanIntervalMs === undefined
          ? {}
          : { scanIntervalMs: options.scheduleScanIntervalMs }),
      });
      cleanup.start(running.signal);
      runner.start(running.signal);
      batches.start(running.signal);
      reclaimer.start(running.signal);
      stops.add('worker', async () => {
        await Promise.all([cleanup.stop(), runner.stop(), batches.stop(), reclaimer.stop()]);
      });
    }

    let frontendPort: number | undefined;
    let httpPort: number | undefined;
    let uiPort: number | undefined;
    if (services.has('frontend') && frontend) {
      stops.add('frontend', () => frontend.stop(RPC_STOP_GRACE_MS));
      healths.push(frontend.health);
      frontendPort = await frontend.listen(config.bindIp, config.frontendPort, {
        markServing: false,
        ...(tls.public ? { tls: tls.public } : {}),
        maxRequestBytes: config.maxRequestBytes,
        maxConnections: config.maxConnections,
        connectionIdleTimeoutMs: config.connectionIdleTimeoutMs,
      });
      // The HTTP API and the UI are the frontend's other doors: they call this frontend in process, so they run
      // wherever it runs, in every topology, on the same TLS material as its gRPC port.
      if (options.httpApi || options.webUi) {
        const http = await startHttpServers(frontend, {
          host: config.bindIp,
          corsOrigins: config.httpCorsOrigins,
          maxBodyBytes: config.maxRequestBytes,
          maxConnections: config.maxConnections,
          logger: ctx.logger.child({ component: 'http' }),
          ...(tls.public ? { tls: tls.public } : {}),
          ...(options.httpApi ? { httpPort: config.httpPort } : {}),
          ...(options.webUi ? { uiPort: config.uiPort, uiAssetsDir: uiAssetsDir() } : {}),
        });
        stops.add('http', () => http.stop(RPC_STOP_GRACE_MS));
        ({ httpPort, uiPort } = http);
      }
    }
    const address = frontendPort === undefined ? undefined : `${config.bindIp}:${frontendPort}`;

    for (const health of healths) health.setAll(ServingStatus.SERVING);
    readiness.markReady();

    log.info(
      {
        address,
        history_address: historyAddress,
        matching_address: matchingAddress,
        metrics_port: metrics?.port,
        http_port: httpPort,
        ui_port: uiPort,
        internal_tls: clustered ? (tls.internal ? 'mutual' : 'off') : undefined,
        database: redactConnectionUrl(options.dbUrl),
        encryption_at_rest: keyProvider ? keyProvider.description : 'off',
      },
      'server started',
    );
    let stopping: Promise<StopReport> | undefined;
    const stopWithReport = () => {
      stopping ??= (async () => {
        log.info('server stopping');
        // Not ready from the first moment: load balancers and kubelet stop sending work while the parts drain.
        readiness.markDraining();
        for (const health of healths) health.setAll(ServingStatus.NOT_SERVING);
        const report = await stops.run(log);
        log.info({ ms: report.ms, parts: report.parts }, 'server stopped');
        return report;
      })();
      return stopping;
    };
    return {
      services,
      ctx,
      ...(address === undefined ? {} : { address, port: frontendPort }),
      ...(historyAddress ? { historyAddress } : {}),
      ...(matchingAddress ? { matchingAddress } : {}),
      ...(metrics ? { metricsPort: metrics.port } : {}),
      ...(httpPort === undefined ? {} : { httpPort }),
      ...(uiPort === undefined ? {} : { uiPort }),
      stopWithReport,
      stop: async () => {
        await stopWithReport();
      },
    };
  } catch (error) {
    await stops.run(log).catch(() => undefined);
    throw error;
  }
}

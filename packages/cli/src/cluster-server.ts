import {
  createHistoryClient,
  createMatchingClient,
  type HistoryPeerApi,
  type MatchingApi,
  startInternalServer,
} from '@odin/api';
import {
  HISTORY_ROLE,
  type HistoryEndpoint,
  MATCHING_ROLE,
  MembershipMonitor,
  type MemberRole,
  RoutingHistoryClient,
  RoutingMatchingClient,
  ringShardOwnership,
} from '@odin/cluster';
import { ensureNamespace, FrontendService } from '@odin/frontend';
import { HistoryService } from '@odin/history';
import { type Clock, SystemClock } from '@odin/hugo';
import { MatchingService } from '@odin/matching';
import { openStore, type PersistenceStore, redactConnectionUrl } from '@odin/persistence';
import { createRuntimeContext, type OdinConfig, type RuntimeContext } from '@odin/runtime';
import { CleanupWorker } from '@odin/worker-service';
import { lateBound } from './late-bound.js';
import { serveMetrics } from './metrics-endpoint.js';

export const SERVICE_ROLES = ['frontend', 'history', 'matching', 'worker'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

const DAY_MS = 24 * 60 * 60 * 1000;
const CLUSTER_NAME = 'active';

export interface ClusterServerOptions {
  readonly config: OdinConfig;
  readonly dbUrl: string;
  /** The roles this process runs; the others run in other processes of the same cluster (same database). */
  readonly services: ReadonlySet<ServiceRole>;
  readonly clock?: Clock;
  /** Apply pending migrations on start (tests); production runs `hugo-orchestrator db migrate` first. */
  readonly migrate?: boolean;
}

export interface RunningClusterServer {
  readonly services: ReadonlySet<ServiceRole>;
  /** host:port of the gRPC frontend, when this process runs it. */
  readonly address?: string;
  readonly historyAddress?: string;
  readonly matchingAddress?: string;
  readonly metricsPort?: number;
  readonly ctx: RuntimeContext<PersistenceStore>;
  stop(): Promise<void>;
}

/**
 * One process of a cluster: the given roles, each history and matching role behind its own internal gRPC port,
 * every process registered in `cluster_membership`. Calls between roles go to the owner the membership ring names
 * (directly when that owner is this process) and are retried while shards and task queues move.
 */
export async function startClusterServer(options: ClusterServerOptions): Promise<RunningClusterServer> {
  const { config, services } = options;
  const clock = options.clock ?? new SystemClock();
  const store = await openStore({
    url: options.dbUrl,
    migrate: options.migrate ?? false,
    clock,
    poolSize: config.dbPoolSize,
  });
  const ctx = createRuntimeContext({ store, config, clock });
  const log = ctx.logger.child({ component: 'server', services: [...services].join(',') });
  const running = new AbortController();
  const stops: (() => Promise<void> | void)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await Promise.resolve(stop()).catch(() => undefined);
  };
  stops.push(() => store.close());
  try {
    await store.cluster.initOrVerifyClusterMetadata({
      clusterName: CLUSTER_NAME,
      shardCount: config.shardCount,
      now: clock.now(),
    });
    const broadcast = config.broadcastAddress ?? config.bindIp;
    const history = lateBound<HistoryEndpoint>('history');
    const matching = lateBound<MatchingApi>('matching');
    const roles: MemberRole[] = [];
    let historyAddress: string | undefined;
    let matchingAddress: string | undefined;
    if (services.has('history')) {
      const server = await startInternalServer({
        host: config.bindIp,
        port: config.historyPort,
        history: history.proxy,
      });
      stops.push(() => server.stop(2_000));
      historyAddress = `${broadcast}:${server.port}`;
      roles.push({ role: HISTORY_ROLE, rpcAddress: historyAddress });
    }
    if (services.has('matching')) {
      const server = await startInternalServer({
        host: config.bindIp,
        port: config.matchingPort,
        matching: matching.proxy,
      });
      stops.push(() => server.stop(2_000));
      matchingAddress = `${broadcast}:${server.port}`;
      roles.push({ role: MATCHING_ROLE, rpcAddress: matchingAddress });
    }
    if (services.has('frontend'))
      roles.push({ role: 'frontend', rpcAddress: `${broadcast}:${config.frontendPort}` });
    if (services.has('worker')) roles.push({ role: 'worker', rpcAddress: '' });

    const monitor = new MembershipMonitor(
      store.membership,
      clock,
      { hostId: ctx.hostId, roles },
      { heartbeatIntervalMs: config.membershipHeartbeatIntervalMs, ttlMs: config.membershipTtlMs },
      ctx.logger.child({ component: 'membership' }),
    );
    const historyMember = monitor.memberId(HISTORY_ROLE);
    const matchingMember = monitor.memberId(MATCHING_ROLE);
    const historyRouter = new RoutingHistoryClient(monitor, {
      clock,
      shardCount: config.shardCount,
      connect: (address) => createHistoryClient(address),
      ...(services.has('history') ? { local: { memberId: historyMember, api: history.proxy } } : {}),
    });
    const matchingRouter = new RoutingMatchingClient(monitor, {
      clock,
      connect: (address) => createMatchingClient(address),
      ...(services.has('matching') ? { local: { memberId: matchingMember, api: matching.proxy } } : {}),
    });
    stops.push(() => {
      historyRouter.close();
      matchingRouter.close();
    });

    if (services.has('matching')) {
      const service = new MatchingService(ctx, { history: historyRouter });
      matching.bind(service);
      monitor.subscribe((role) => {
        if (role !== MATCHING_ROLE) return;
        service.releasePartitions((namespaceId, name, type) =>
          matchingRouter.owns(matchingMember, namespaceId, name, type),
        );
      });
      await service.start(running.signal);
      stops.push(() => service.stop());
    }
    let historyService: HistoryService | undefined;
    if (services.has('history')) {
      historyService = new HistoryService(ctx, {
        matching: matchingRouter,
        shardCount: config.shardCount,
        hostId: historyMember,
        ownership: ringShardOwnership(monitor, historyMember),
        peers: historyRouter satisfies HistoryPeerApi,
        options: {
          eagerActivityExecution: config.eagerActivityExecution,
          eagerWorkflowStart: config.eagerWorkflowStart,
        },
      });
      history.bind(historyService);
    }
    // Heartbeat before history reconciles its shards: the ring it reads must already hold this host.
    await monitor.start(running.signal);
    if (historyService) {
      const service = historyService;
      await service.start(running.signal);
      stops.push(() => service.stop());
    }
    // Registered after history's stop so it runs before it: the host leaves the ring first, its peers take the
    // shards at once, and whatever this host still commits meanwhile is fenced out.
    stops.push(() => monitor.stop());
    if (services.has('worker')) {
      const cleanup = new CleanupWorker({
        store,
        clock,
        logger: ctx.logger.child({ component: 'cleanup-worker' }),
        defaultRetentionDays: config.historyRetentionDays,
      });
      cleanup.start(running.signal);
      stops.push(() => cleanup.stop());
    }
    let address: string | undefined;
    if (services.has('frontend')) {
      await ensureNamespace(store.namespaces, {
        id: ctx.random.uuid(),
        name: 'default',
        retentionMs: config.historyRetentionDays * DAY_MS,
        now: clock.now(),
        searchAttributes: store.searchAttributes,
      });
      const frontend = new FrontendService(ctx, { history: historyRouter, matching: matchingRouter });
      const port = await frontend.listen(config.bindIp, config.frontendPort);
      address = `${config.bindIp}:${port}`;
      stops.push(() => frontend.stop(2_000));
    }
    const metrics =
      config.metricsPort > 0 ? await serveMetrics(ctx.metrics, config.bindIp, config.metricsPort) : undefined;
    if (metrics) stops.push(() => metrics.close());
    log.info(
      {
        address,
        history_address: historyAddress,
        matching_address: matchingAddress,
        database: redactConnectionUrl(options.dbUrl),
      },
      'cluster server started',
    );
    let stopping: Promise<void> | undefined;
    return {
      services,
      ctx,
      ...(address ? { address } : {}),
      ...(historyAddress ? { historyAddress } : {}),
      ...(matchingAddress ? { matchingAddress } : {}),
      ...(metrics ? { metricsPort: metrics.port } : {}),
      stop: () => {
        stopping ??= (async () => {
          log.info('server stopping');
          // Reverse start order: the frontend stops taking calls, the host leaves the ring (peers take its shards
          // at once instead of after the TTL), the roles drain, the store closes last.
          running.abort();
          await stopAll();
          log.info('server stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    running.abort();
    await stopAll();
    throw error;
  }
}

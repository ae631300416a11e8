import { type Clock, SystemClock } from '@odin/hugo';
import { ensureNamespace, FrontendService } from '@odin/frontend';
import { MatchingService } from '@odin/matching';
import { openStore, type PersistenceStore, redactConnectionUrl } from '@odin/persistence';
import { createRuntimeContext, type OdinConfig, type RuntimeContext } from '@odin/runtime';
import { CleanupWorker } from '@odin/worker-service';
import { defaultHistoryService, type HistoryConstructor, type HistoryRole } from './history-role.js';
import { serveMetrics } from './metrics-endpoint.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Temporal's single-cluster name. */
const CLUSTER_NAME = 'active';

export interface ServerOptions {
  readonly config: OdinConfig;
  /** Database URL (sqlite:…, postgres://…, mysql://…). */
  readonly dbUrl: string;
  /** Apply pending migrations on start (dev); otherwise refuse an old schema. */
  readonly migrate: boolean;
  /** Namespaces created when missing. */
  readonly namespaces: readonly string[];
  readonly clock?: Clock;
  /** For tests that swap the history role. */
  readonly historyService?: HistoryConstructor;
  /** Retention sweep interval of the cleanup system worker; default one hour. */
  readonly retentionSweepIntervalMs?: number;
}

export interface RunningServer {
  /** host:port of the gRPC frontend. */
  readonly address: string;
  readonly port: number;
  /** Port of GET /metrics when HUGO_ORCHESTRATOR_METRICS_PORT / metricsPort asked for one. */
  readonly metricsPort?: number;
  readonly ctx: RuntimeContext<PersistenceStore>;
  /** Stops every role and closes the database; calls after the first return the same promise. */
  stop(): Promise<void>;
}

/**
 * Every role in one process: one runtime context, one store, matching and history wired to each other in memory,
 * the gRPC frontend in front. The order of start and stop keeps every acknowledged write durable: nothing is
 * accepted before the store is open, and the store closes last.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const clock = options.clock ?? new SystemClock();
  const store = await openStore({
    url: options.dbUrl,
    migrate: options.migrate,
    clock,
    poolSize: options.config.dbPoolSize,
  });
  const ctx = createRuntimeContext({ store, config: options.config, clock });
  const log = ctx.logger.child({ component: 'server' });
  const running = new AbortController();
  let history: HistoryRole | undefined;
  let matching: MatchingService | undefined;
  let frontend: FrontendService | undefined;
  let cleanup: CleanupWorker | undefined;
  try {
    await store.cluster.initOrVerifyClusterMetadata({
      clusterName: CLUSTER_NAME,
      shardCount: options.config.shardCount,
      now: clock.now(),
    });
    for (const name of new Set(['default', ...options.namespaces])) {
      await ensureNamespace(store.namespaces, {
        id: ctx.random.uuid(),
        name,
        retentionMs: options.config.historyRetentionDays * DAY_MS,
        now: clock.now(),
        searchAttributes: store.searchAttributes,
      });
    }
    const History = options.historyService ?? defaultHistoryService;
    matching = new MatchingService(ctx);
    history = new History(ctx, {
      matching,
      shardCount: options.config.shardCount,
      hostId: ctx.hostId,
      options: {
        eagerActivityExecution: options.config.eagerActivityExecution,
        eagerWorkflowStart: options.config.eagerWorkflowStart,
      },
    });
    matching.setHistory(history);
    await matching.start(running.signal);
    await history.start(running.signal);
    cleanup = new CleanupWorker({
      store,
      clock,
      logger: ctx.logger.child({ component: 'cleanup-worker' }),
      defaultRetentionDays: options.config.historyRetentionDays,
      ...(options.retentionSweepIntervalMs === undefined
        ? {}
        : { sweepIntervalMs: options.retentionSweepIntervalMs }),
    });
    cleanup.start(running.signal);
    frontend = new FrontendService(ctx, { history, matching });
    const port = await frontend.listen(options.config.bindIp, options.config.frontendPort);
    const address = `${options.config.bindIp}:${port}`;
    const metricsEndpoint =
      options.config.metricsPort > 0
        ? await serveMetrics(ctx.metrics, options.config.bindIp, options.config.metricsPort)
        : undefined;
    log.info(
      { address, metrics_port: metricsEndpoint?.port, database: redactConnectionUrl(options.dbUrl) },
      'server started',
    );

    let stopping: Promise<void> | undefined;
    const roles = { frontend, matching, history, cleanup };
    const stop = () => {
      stopping ??= (async () => {
        log.info('server stopping');
        await metricsEndpoint?.close();
        await roles.frontend.stop(2000);
        // The system worker stops before the store closes: it must not be mid-transaction then.
        await roles.cleanup.stop();
        running.abort();
        await roles.matching.stop();
        await roles.history.stop();
        await store.close();
        log.info('server stopped');
      })();
      return stopping;
    };
    return { address, port, ctx, stop, ...(metricsEndpoint ? { metricsPort: metricsEndpoint.port } : {}) };
  } catch (error) {
    running.abort();
    await frontend?.stop(0).catch(() => undefined);
    await cleanup?.stop().catch(() => undefined);
    await matching?.stop().catch(() => undefined);
    await Promise.resolve(history?.stop()).catch(() => undefined);
    await store.close().catch(() => undefined);
    throw error;
  }
}

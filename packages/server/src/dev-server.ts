import type { Clock } from '@odin/hugo';
import { type LogLevel, loadConfig } from '@odin/runtime';
import type { HistoryConstructor } from './history-role.js';
import { type RunningServer, startServer } from './server.js';

export interface DevServerOptions {
  /** gRPC port; 0 picks a free one. Default 7233. */
  port?: number;
  /** Address to bind; default 127.0.0.1. */
  ip?: string;
  /** Database URL; default an in-memory SQLite database. */
  dbUrl?: string;
  /** Namespaces besides `default`, created when missing. */
  namespaces?: string[];
  logLevel?: LogLevel;
  clock?: Clock;
  /** Port of GET /metrics (Prometheus); unset = HUGO_ORCHESTRATOR_METRICS_PORT, 0 = none. */
  metricsPort?: number;
  /** History shards; default HUGO_ORCHESTRATOR_SHARD_COUNT or DEV_SHARD_COUNT (fixed once the database has a cluster). */
  shardCount?: number;
  /** Environment to read HUGO_ORCHESTRATOR_* from; default process.env. */
  env?: Record<string, string | undefined>;
  historyService?: HistoryConstructor;
  /** Retention sweep interval of the cleanup system worker; default one hour. */
  retentionSweepIntervalMs?: number;
  /** Serve Temporal's HTTP API (on `httpPort`, else HUGO_ORCHESTRATOR_HTTP_PORT or 7243); default: when httpPort is given. */
  httpApi?: boolean;
  /** HTTP API port; 0 picks a free one. */
  httpPort?: number;
  /** Serve the web UI (on `uiPort`, else HUGO_ORCHESTRATOR_UI_PORT or 8233); default: when uiPort is given. */
  webUi?: boolean;
  /** Web UI port; 0 picks a free one. */
  uiPort?: number;
  /**
   * TLS on the client-facing ports (PEM file paths, reloaded when they change); `clientCaFile` makes client
   * certificates required. What is unset here comes from HUGO_ORCHESTRATOR_TLS_CERT / _KEY / _CLIENT_CA; none at
   * all = plaintext.
   */
  tls?: { certFile?: string; keyFile?: string; clientCaFile?: string };
}

/** A running dev server: every role, so always a frontend address. */
export interface DevServer extends RunningServer {
  readonly address: string;
  readonly port: number;
}

/**
 * History shards of a dev database unless HUGO_ORCHESTRATOR_SHARD_COUNT says otherwise. One process owns every
 * shard, so many shards buy no parallelism; few shards let history group concurrent transitions of a shard into one
 * SQLite transaction (one fsync), which more than doubled dev-server throughput on W1. Temporal's dev server
 * likewise runs with a single shard. The production default stays 512.
 */
export const DEV_SHARD_COUNT = 4;

/**
 * `hugo-orchestrator server start-dev` as a function: every role in this process on embedded SQLite (or the given
 * database), migrations applied, `default` namespace present. For tests and embedding.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const env = options.env ?? process.env;
  const shardCount =
    options.shardCount ?? (env.HUGO_ORCHESTRATOR_SHARD_COUNT?.trim() ? undefined : DEV_SHARD_COUNT);
  const config = loadConfig(env, {
    frontendPort: options.port ?? 7233,
    bindIp: options.ip ?? '127.0.0.1',
    logLevel: options.logLevel ?? 'warn',
    ...(shardCount === undefined ? {} : { shardCount }),
    ...(options.metricsPort === undefined ? {} : { metricsPort: options.metricsPort }),
    ...(options.httpPort === undefined ? {} : { httpPort: options.httpPort }),
    ...(options.uiPort === undefined ? {} : { uiPort: options.uiPort }),
    ...(options.tls === undefined
      ? {}
      : {
          tlsCert: options.tls.certFile,
          tlsKey: options.tls.keyFile,
          tlsClientCa: options.tls.clientCaFile,
        }),
  });
  const running = await startServer({
    config,
    dbUrl: options.dbUrl ?? 'sqlite::memory:',
    migrate: true,
    services: 'all',
    namespaces: options.namespaces ?? [],
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.historyService ? { historyService: options.historyService } : {}),
    httpApi: options.httpApi ?? options.httpPort !== undefined,
    webUi: options.webUi ?? options.uiPort !== undefined,
    ...(options.retentionSweepIntervalMs === undefined
      ? {}
      : { retentionSweepIntervalMs: options.retentionSweepIntervalMs }),
  });
  const { address, port } = running;
  if (address === undefined || port === undefined) {
    await running.stop();
    throw new Error('a dev server runs every role, the frontend included');
  }
  return { ...running, address, port };
}

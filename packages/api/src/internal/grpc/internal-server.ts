// One gRPC server per role process, serving whichever internal services that process hosts.
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { addHealthService, HealthStatuses, ServingStatus } from '../../health.js';
import { type InternalTls, peerNameInterceptor, tlsServerCredentials } from '../../tls/credentials.js';
import type { HistoryApi } from '../history-api.js';
import type { MatchingApi } from '../matching-api.js';
import { abortServerCalls } from './call-context.js';
import { addHistoryService, HISTORY_SERVICE } from './history.js';
import { addMatchingService, MATCHING_SERVICE } from './matching.js';
import { CHANNEL_OPTIONS } from './transport.js';

export interface InternalServerOptions {
  readonly host: string;
  /** 0 picks a free port; the chosen one is returned. */
  readonly port: number;
  readonly history?: HistoryApi;
  readonly matching?: MatchingApi;
  /**
   * Mutual TLS with reloadable material: every client must present a certificate the CA bundle signed and that is
   * valid for `serverName`. Default: plaintext.
   */
  readonly tls?: InternalTls;
}

export interface InternalServer {
  readonly port: number;
  /**
   * gRPC health of this port: "" and the internal services it serves, NOT_SERVING until the process marks them
   * SERVING (once it is ready) and again when it stops.
   */
  readonly health: HealthStatuses;
  /**
   * Stops accepting calls, aborts the CallContext of in-flight ones (long polls answer at once), waits up to
   * `graceMs` (default 5 s) for them to finish, then closes the rest.
   */
  stop(graceMs?: number): Promise<void>;
}

function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

export async function startInternalServer(options: InternalServerOptions): Promise<InternalServer> {
  const server = new Server({
    ...CHANNEL_OPTIONS,
    ...(options.tls ? { interceptors: [peerNameInterceptor(options.tls.serverName)] } : {}),
  });
  if (options.history) addHistoryService(server, options.history);
  if (options.matching) addMatchingService(server, options.matching);
  const health = new HealthStatuses([
    ...(options.history ? [HISTORY_SERVICE] : []),
    ...(options.matching ? [MATCHING_SERVICE] : []),
  ]);
  addHealthService(server, health);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(
      hostPort(options.host, options.port),
      options.tls ? tlsServerCredentials(options.tls.material, true) : ServerCredentials.createInsecure(),
      (error, bound) => (error ? reject(error) : resolve(bound)),
    );
  });
  let stopped: Promise<void> | undefined;
  return {
    port,
    health,
    stop(graceMs = 5_000) {
      stopped ??= new Promise<void>((resolve) => {
        health.setAll(ServingStatus.NOT_SERVING);
        health.closeWatches();
        abortServerCalls(server);
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return stopped;
    },
  };
}

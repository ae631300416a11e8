import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TlsMaterial } from '@odin/runtime';
import type { FrontendService } from '../frontend-service.js';
import { createClientFacingServer } from '../http-tls.js';
import { HttpApi, type HttpApiOptions } from './http-api.js';
import { uiRequestHandler } from './ui-static.js';

export interface HttpServersOptions extends HttpApiOptions {
  /** Address both servers bind. */
  readonly host: string;
  /** Port of the HTTP API (Temporal's default is 7243); 0 picks a free one; undefined = no HTTP API server. */
  readonly httpPort?: number;
  /** Port of the web UI (Temporal's default is 8233); 0 picks a free one; undefined = no UI server. */
  readonly uiPort?: number;
  /** Folder of the built UI (index.html and assets); required with `uiPort`. */
  readonly uiAssetsDir?: string;
  /** HTTPS on both ports with the gRPC port's material (same files, same rotation); plain HTTP without. */
  readonly tls?: TlsMaterial;
  /** Open connections per port at most; more are closed as they arrive (0 or unset = no limit). */
  readonly maxConnections?: number;
}

export interface RunningHttpServers {
  readonly httpPort?: number;
  readonly uiPort?: number;
  /** The API handler both servers share. */
  readonly api: HttpApi;
  /** Stops accepting connections, gives open requests `graceMs`, then closes every connection. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function listen(
  handler: Handler,
  host: string,
  port: number,
  tls?: TlsMaterial,
  maxConnections = 0,
): Promise<Server> {
  const server = createClientFacingServer(handler, tls);
  // A browser keeps idle keep-alive connections; they must not hold a stop up (nor pile up: the idle timeout).
  server.keepAliveTimeout = 5000;
  if (maxConnections > 0) server.maxConnections = maxConnections;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function boundPort(server: Server): number {
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

/**
 * Bounded close: no new connections, idle ones closed now, busy ones after `graceMs`. The timer is the only wall
 * clock here on purpose: shutdown of a network listener must end even under a test's virtual clock.
 */
function close(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

/**
 * Starts Temporal's HTTP API and/or Odin's web UI for a FrontendService. The UI port serves the built UI and the
 * same API under `/api/v1/…` (same origin, so the UI needs no CORS). Either server failing to bind closes the other.
 */
export async function startHttpServers(
  frontend: FrontendService,
  options: HttpServersOptions,
): Promise<RunningHttpServers> {
  const api = new HttpApi(frontend, options);
  const log = options.logger;
  const apiHandler: Handler = (req, res) => void api.handle(req, res);
  const servers: Server[] = [];
  try {
    let httpPort: number | undefined;
    let uiPort: number | undefined;
    if (options.httpPort !== undefined) {
      const server = await listen(
        apiHandler,
        options.host,
        options.httpPort,
        options.tls,
        options.maxConnections,
      );
      servers.push(server);
      httpPort = boundPort(server);
      log?.info({ host: options.host, port: httpPort }, 'HTTP API listening');
    }
    if (options.uiPort !== undefined) {
      if (!options.uiAssetsDir) throw new Error('the web UI needs uiAssetsDir (the built UI folder)');
      const server = await listen(
        uiRequestHandler(api, options.uiAssetsDir),
        options.host,
        options.uiPort,
        options.tls,
        options.maxConnections,
      );
      servers.push(server);
      uiPort = boundPort(server);
      log?.info({ host: options.host, port: uiPort }, 'web UI listening');
    }
    let stopping: Promise<void> | undefined;
    return {
      api,
      ...(httpPort === undefined ? {} : { httpPort }),
      ...(uiPort === undefined ? {} : { uiPort }),
      stop(graceMs = 2000) {
        stopping ??= Promise.all(servers.map((server) => close(server, graceMs))).then(() => undefined);
        return stopping;
      },
    };
  } catch (error) {
    await Promise.all(servers.map((server) => close(server, 0)));
    throw error;
  }
}

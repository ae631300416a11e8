import type { Server } from 'node:http';
import type { OdinMetrics } from '@odin/runtime';

/**
 * node:http taken as the built-in's own exports, not imported: an ESM import of node:http reads every export to
 * build its namespace, and Node 24's lazy WebSocket/MessageEvent exports then load undici (~60 ms at start-up).
 */
const { createServer } = process.getBuiltinModule('node:http');

/** One readiness check: its name and whether it passed, with a reason when it did not. */
export interface ReadinessCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

export interface HealthEndpoints {
  /** Readiness (GET /readyz): 200 when every check passes, 503 otherwise; both with the checks as JSON. */
  readiness(): Promise<readonly ReadinessCheck[]>;
}

/**
 * The metrics port: GET /metrics (Prometheus exposition), GET /healthz (liveness: the process answers, 200 from
 * the moment the port is bound until it closes, draining included, so a slow stop is never mistaken for a hang),
 * GET /readyz (readiness, see HealthEndpoints). Resolves with the bound port.
 */
export async function serveMetrics(
  metrics: OdinMetrics,
  host: string,
  port: number,
  health?: HealthEndpoints,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (req.method === 'GET' && path === '/readyz' && health) {
      health.readiness().then(
        (checks) => {
          const ready = checks.every((check) => check.ok);
          res
            .writeHead(ready ? 200 : 503, { 'content-type': 'application/json' })
            .end(`${JSON.stringify({ ready, checks })}\n`);
        },
        (error: unknown) =>
          res
            .writeHead(503, { 'content-type': 'application/json' })
            .end(`${JSON.stringify({ ready: false, error: String(error) })}\n`),
      );
      return;
    }
    if (req.method !== 'GET' || path !== '/metrics') {
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end('not found: GET /metrics, /healthz (liveness), /readyz (readiness)\n');
      return;
    }
    metrics.expose().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Probes and scrapes hold keep-alive connections; a stopping process does not wait for them to go idle.
        server.closeIdleConnections();
      }),
  };
}

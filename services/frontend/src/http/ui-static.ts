import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import sirv from 'sirv';
import type { HttpApi } from './http-api.js';

/**
 * The web UI's request handler: the built single-page app from `assetsDir` (every unknown path answers index.html,
 * so deep links work), and the HTTP API under `/api/` and at `/openapi.yaml` on the same origin.
 */
export function uiRequestHandler(
  api: HttpApi,
  assetsDir: string,
): (req: IncomingMessage, res: ServerResponse) => void {
  if (!existsSync(join(assetsDir, 'index.html'))) {
    throw new Error(
      `The web UI is not built (no index.html in ${assetsDir}); run "node scripts/setup.mjs" to build it.`,
    );
  }
  const assets = sirv(assetsDir, {
    single: true,
    etag: true,
    gzip: true,
    brotli: true,
    setHeaders(res, pathname) {
      // Vite puts a content hash in every file name under /assets/; index.html must be revalidated.
      res.setHeader(
        'cache-control',
        pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  return (req, res) => {
    const path = req.url ?? '/';
    if (path.startsWith('/api/') || path === '/openapi.yaml') {
      void api.handle(req, res);
      return;
    }
    assets(req, res);
  };
}

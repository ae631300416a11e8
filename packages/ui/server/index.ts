// The node side of @odin/ui: where the built single-page app is, for the server that serves it.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Folder of the built UI (index.html and hashed assets), written by `vite build` (run by scripts/setup.mjs). */
export function uiAssetsDir(): string {
  return join(dirname(require.resolve('@odin/ui/package.json')), 'dist', 'app');
}

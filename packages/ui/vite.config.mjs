// Builds the single-page app in app/ into dist/app, which Odin serves on the UI port (no CDN at run time).
// `pnpm --filter @odin/ui dev` serves it with hot reload and forwards /api to a dev server's HTTP API.
import { defineConfig } from 'vite';

export default defineConfig({
  root: new URL('./app', import.meta.url).pathname,
  base: '/',
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: new URL('./dist/app', import.meta.url).pathname,
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { '/api': `http://127.0.0.1:${process.env.HUGO_ORCHESTRATOR_HTTP_PORT ?? 7243}` },
  },
});

// What the container's runtime stage does, outside a container: deploy/docker/deploy-runtime.mjs installs the CLI
// with its production dependencies only (the Dockerfile runs the same script in its build stage and copies the folder
// to /app), then the deployment runs as the image's entrypoint would run it (`node bundle/main.js …`, NODE_ENV=production,
// no workspace, no dev dependencies), is checked with the image's HEALTHCHECK script and stops on SIGTERM as tini
// forwards it. CI runs this test; building and running the image itself needs a container engine (docs/operations.md).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { freePort } from '@odin/test-ports';
import { PG_ADMIN_URL } from '@odin/test-databases';
import { Spawned, waitFor } from './process.js';
import { repoRoot } from './tools.js';

const dockerfile = readFileSync(join(repoRoot, 'deploy/docker/Dockerfile'), 'utf8');

/** The environment of the runtime image (its ENV lines), without the test runner's variables. */
function imageEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    NODE_ENV: 'production',
    HUGO_ORCHESTRATOR_BIND_IP: '127.0.0.1',
    ...extra,
  };
}

function healthy(app: string, target: string): boolean {
  try {
    execFileSync(process.execPath, [join(app, 'healthcheck.mjs')], {
      env: { PATH: process.env.PATH ?? '', ODIN_HEALTHCHECK: target },
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

describe('the container runtime, installed and run outside a container', () => {
  let workdir: string;
  let app: string;

  before(() => {
    workdir = mkdtempSync(join(tmpdir(), 'odin-runtime-'));
    app = join(workdir, 'app');
    execFileSync(process.execPath, [join(repoRoot, 'deploy/docker/deploy-runtime.mjs'), app], {
      cwd: repoRoot,
      stdio: 'pipe',
    });
    // As the Dockerfile does: COPY deploy/docker/healthcheck.mjs /app/healthcheck.mjs
    copyFileSync(join(repoRoot, 'deploy/docker/healthcheck.mjs'), join(app, 'healthcheck.mjs'));
  });

  after(() => rmSync(workdir, { recursive: true, force: true }));

  test('the Dockerfile builds with this script and runs the same entrypoint, as a non-root user under tini', () => {
    assert.match(dockerfile, /node deploy\/docker\/deploy-runtime\.mjs \/out/);
    assert.match(dockerfile, /COPY --from=build \/out \/app/);
    assert.match(dockerfile, /COPY deploy\/docker\/healthcheck\.mjs \/app\/healthcheck\.mjs/);
    assert.match(dockerfile, /ENTRYPOINT \["\/usr\/bin\/tini", "--", "node", "\/app\/bundle\/main\.js"\]/);
    assert.match(dockerfile, /^USER 10001:10001$/m);
    assert.match(dockerfile, /^HEALTHCHECK .*healthcheck\.mjs/m);
    assert.match(dockerfile, /pnpm deploy|deploy-runtime/);
    // The image's Node is the one the project pins, when the repository pins one.
    const runtimeScript = join(repoRoot, 'scripts/node-runtime.mjs');
    if (existsSync(runtimeScript)) {
      const pinned = /NODE_VERSION = '([^']+)'/.exec(readFileSync(runtimeScript, 'utf8'))?.[1];
      assert.equal(/ARG NODE_VERSION=(\S+)/.exec(dockerfile)?.[1], pinned);
    }
  });

  test('the deployment holds production dependencies only, with built code', () => {
    assert.ok(existsSync(join(app, 'dist/main.js')));
    assert.ok(existsSync(join(app, 'bundle/main.js')), 'the entrypoint, bundled in place');
    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as {
      devDependencies?: object;
    };
    assert.equal(Object.keys(manifest.devDependencies ?? {}).length, 0);
    for (const devOnly of ['typescript', 'tsx', '@biomejs/biome', 'fast-check']) {
      assert.ok(!existsSync(join(app, 'node_modules', devOnly)), `${devOnly} is not deployed`);
    }
    // Build-time only: the frontend's OpenAPI document is derived from it, the UI is built by Vite.
    const deployed = readdirSync(join(app, 'node_modules/.pnpm'));
    for (const buildOnly of ['@temporalio+core-bridge@', 'vite@', 'react@', 'yaml@']) {
      assert.deepEqual(
        deployed.filter((entry) => entry.startsWith(buildOnly)),
        [],
        `${buildOnly} is not deployed`,
      );
    }
    assert.ok(!existsSync(join(app, 'src')), 'sources are not deployed');
  });

  test('server start-dev starts, is healthy, serves a client, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const server = new Spawned(
      process.execPath,
      [
        'bundle/main.js',
        'server',
        'start-dev',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        // A test never takes a fixed port: the HTTP API and the web UI each on a free one, read from the banner.
        '--http-port',
        '0',
        '--ui-port',
        '0',
      ],
      { cwd: app, env: imageEnv({}) },
    );
    try {
      await waitFor('the dev server banner', 30_000, () =>
        server.output.includes('Odin dev server listening'),
      );
      await waitFor('a healthy gRPC health check', 10_000, () => healthy(app, `grpc://127.0.0.1:${port}`));
      const listed = execFileSync(
        process.execPath,
        [join(app, 'bundle/main.js'), 'namespace', 'list', '--address', `127.0.0.1:${port}`, '-o', 'json'],
        { encoding: 'utf8', env: imageEnv({}) },
      );
      assert.match(listed, /"default"/);
      // The deployment carries the build outputs the HTTP API and the UI serve (the OpenAPI document was derived
      // from @temporalio/core-bridge at build time; the UI was built by Vite).
      const httpPort = /HTTP API: +http:\/\/127\.0\.0\.1:(\d+)/.exec(server.output)?.[1];
      const uiPort = /web UI: +http:\/\/127\.0\.0\.1:(\d+)/.exec(server.output)?.[1];
      assert.ok(httpPort && uiPort, server.output);
      const openApi = await fetch(`http://127.0.0.1:${httpPort}/openapi.yaml`);
      assert.equal(openApi.status, 200);
      assert.match(await openApi.text(), /operationId: StartWorkflowExecution/);
      const page = await fetch(`http://127.0.0.1:${uiPort}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<div id="root">/);
    } finally {
      const exit = await server.terminate(15_000);
      assert.deepEqual(exit, { code: 0, signal: null }, server.output);
    }
    assert.equal(healthy(app, `grpc://127.0.0.1:${port}`), false, 'nothing answers after the stop');
  });

  test('db migrate, then every role as one cluster process on PostgreSQL (what the chart runs), then SIGTERM', async () => {
    const name = `odin_deploy_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    try {
      const [frontend, history, matching, metrics] = [
        await freePort(),
        await freePort(),
        await freePort(),
        await freePort(),
      ];
      const env = imageEnv({
        HUGO_ORCHESTRATOR_DB_CONNECTION: url.toString(),
        HUGO_ORCHESTRATOR_FRONTEND_PORT: String(frontend),
        HUGO_ORCHESTRATOR_HISTORY_PORT: String(history),
        HUGO_ORCHESTRATOR_MATCHING_PORT: String(matching),
        HUGO_ORCHESTRATOR_METRICS_PORT: String(metrics),
        HUGO_ORCHESTRATOR_HTTP_PORT: '0',
        HUGO_ORCHESTRATOR_SHARD_COUNT: '8',
        HUGO_ORCHESTRATOR_LOG_LEVEL: 'warn',
      });
      const migrated = execFileSync(process.execPath, ['bundle/main.js', 'db', 'migrate'], {
        cwd: app,
        env,
        encoding: 'utf8',
      });
      assert.match(migrated, /version 0 -> \d+/);
      const server = new Spawned(
        process.execPath,
        ['bundle/main.js', 'server', 'start', '--service', 'frontend,history,matching,worker'],
        { cwd: app, env },
      );
      try {
        await waitFor('a healthy frontend', 60_000, () => healthy(app, `grpc://127.0.0.1:${frontend}`));
        const scraped = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
        assert.match(scraped, /^rpc_requests_total/m);
        assert.match(scraped, /^nodejs_eventloop_lag_p99_seconds/m);
      } finally {
        const exit = await server.terminate(20_000);
        assert.deepEqual(exit, { code: 0, signal: null }, server.output);
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});

// One-step setup for a machine that has only Node.js and npm: runs under Node 24 (fetching the pinned one when the
// Node on PATH is another major, see node-runtime.mjs), installs the pinned pnpm through npx when the right version
// is not on PATH, installs the workspace from the committed lockfile, builds it (TypeScript, the CLI's bundle, then the
// frontend's OpenAPI document and the web UI's static assets), and installs Chromium for the UI's browser tests when missing.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { runsTargetNode, targetNode } from './node-runtime.mjs';

if (!runsTargetNode()) {
  // Native addons (better-sqlite3) must be built by and for the Node that runs the tests and the server.
  const { node, env } = targetNode();
  const rerun = spawnSync(node, [new URL(import.meta.url).pathname, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env,
  });
  process.exit(rerun.status ?? 1);
}

const PNPM_VERSION = '10.34.9';
/** Where Debian's chromium package puts the browser the UI tests drive. */
const CHROMIUM = '/usr/bin/chromium';

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim() === PNPM_VERSION) return ['pnpm'];
  return ['npx', '--yes', `pnpm@${PNPM_VERSION}`];
}

function run(cmd, args, env) {
  execFileSync(cmd, args, { stdio: 'inherit', ...(env ? { env: { ...process.env, ...env } } : {}) });
}

/**
 * Chromium for the UI's browser tests (Playwright drives the system browser; nothing is downloaded at test time).
 * Installed with apt-get when missing; where that cannot be done the setup says so and goes on: the browser test
 * then fails under CI and is skipped elsewhere, naming what is missing.
 */
function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0;
  if (!hasApt) {
    console.warn(
      `setup: ${CHROMIUM} is missing and apt-get is not available; install Chromium to run the UI tests.`,
    );
    return;
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    console.warn(
      `setup: ${CHROMIUM} is missing; run "sudo apt-get install -y chromium" to run the UI tests.`,
    );
    return;
  }
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  try {
    console.log('setup: installing chromium (apt-get) for the UI browser tests');
    try {
      run('apt-get', ['install', '-y', 'chromium'], env);
    } catch {
      // A fresh machine has no package lists yet.
      run('apt-get', ['update'], env);
      run('apt-get', ['install', '-y', 'chromium'], env);
    }
  } catch (error) {
    console.warn(`setup: could not install chromium (${error.message}); the UI browser tests need it.`);
  }
}

const [bin, ...prefix] = pnpmCommand();
const frozen = process.env.CI ? ['--frozen-lockfile'] : ['--frozen-lockfile', '--prefer-offline'];
run(bin, [...prefix, 'install', ...frozen]);
run(bin, [...prefix, 'exec', 'tsc', '-b']);
// The CLI in a few files (packages/cli/bundle), which `npm run dev` and the benches start: ready sooner than dist/.
run(process.execPath, [new URL('../packages/cli/scripts/bundle.mjs', import.meta.url).pathname]);
// The frontend's OpenAPI document (dist/openapi.yaml), derived from @temporalio/core-bridge, a devDependency.
run(bin, [...prefix, '--filter', '@odin/frontend', 'run', 'build:openapi']);
// The web UI's static assets (Vite): served by the server's UI port, so they are part of the build.
run(bin, [...prefix, '--filter', '@odin/ui', 'run', 'build']);
ensureChromium();

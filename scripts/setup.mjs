// One-step setup for a machine that has only Node.js and npm: runs under Node 24 (fetching the pinned one when the
// Node on PATH is another major, see node-runtime.mjs), installs the pinned pnpm through npx when the right version
// is not on PATH, installs the workspace from the committed lockfile, and builds it.
import { execFileSync, spawnSync } from 'node:child_process';
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

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim() === PNPM_VERSION) return ['pnpm'];
  return ['npx', '--yes', `pnpm@${PNPM_VERSION}`];
}

function run(cmd, args) {
  execFileSync(cmd, args, { stdio: 'inherit' });
}

const [bin, ...prefix] = pnpmCommand();
const frozen = process.env.CI ? ['--frozen-lockfile'] : ['--frozen-lockfile', '--prefer-offline'];
run(bin, [...prefix, 'install', ...frozen]);
run(bin, [...prefix, 'exec', 'tsc', '-b']);

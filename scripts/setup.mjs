// One-step setup for a machine that has only Node.js and npm: installs the pinned pnpm through npx when the
// right version is not on PATH, installs the workspace from the committed lockfile, and builds it.
import { execFileSync, spawnSync } from 'node:child_process';

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

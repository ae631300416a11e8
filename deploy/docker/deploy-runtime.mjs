// Installs what the container's runtime stage holds into one folder: the CLI package (`hugo-orchestrator`, built to
// dist/ beforehand) with its production dependencies only, workspace packages copied in (pnpm deploy: of each, the
// files its package.json `files` list publishes, as in its npm tarball), then the parts of better-sqlite3 that only
// building it needs removed, and the CLI bundled in place (bundle/main.js, the entrypoint). The Dockerfile runs this
// in its build stage, and test/deploy runs it outside a container, so the image and CI install the same thing.
//
// Usage: node deploy/docker/deploy-runtime.mjs <empty or missing output folder>
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const PNPM_VERSION = '10.34.9';
const root = new URL('../..', import.meta.url).pathname;
const target = process.argv[2];
if (!target) {
  console.error('usage: node deploy/docker/deploy-runtime.mjs <output folder>');
  process.exit(2);
}
const out = resolve(target);

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim() === PNPM_VERSION) return ['pnpm'];
  return ['npx', '--yes', `pnpm@${PNPM_VERSION}`];
}

if (!existsSync(join(root, 'packages/cli/dist/main.js'))) {
  console.error('packages/cli/dist/main.js is missing: build first (`npx tsc -b packages/cli`)');
  process.exit(1);
}

// --legacy: the workspace does not inject workspace packages, and pnpm 10 deploys such a workspace only this way
// (it copies each workspace dependency's published files into the target's node_modules).
const [bin, ...prefix] = pnpmCommand();
execFileSync(bin, [...prefix, '--filter', 'hugo-orchestrator', 'deploy', '--prod', '--legacy', out], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
});

const SQLITE_BUILD_JUNK = ['deps', 'src', 'build/Release/obj.target', 'build/Release/.deps', 'build/deps'];

function removeAll(dir, names) {
  for (const name of names) rmSync(join(dir, name), { recursive: true, force: true });
}

// pnpm deploy --prod installs no devDependencies but leaves them listed; the runtime manifest names only what it has.
const manifestPath = join(out, 'package.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
delete manifest.devDependencies;
writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
const virtualStore = join(out, 'node_modules/.pnpm');
for (const entry of readdirSync(virtualStore)) {
  const modules = join(virtualStore, entry, 'node_modules');
  if (!existsSync(modules) || !statSync(modules).isDirectory()) continue;
  if (entry.startsWith('better-sqlite3@')) removeAll(join(modules, 'better-sqlite3'), SQLITE_BUILD_JUNK);
}
// The entrypoint: the deployed CLI bundled in place (bundle/main.js, beside the files it was built from), so the
// container starts as `npm run dev` does, in about two thirds of dist/'s time (docs/performance.md, "Twenty-seventh
// pass"). dist/ stays: the bundle finds files next to its modules there, and it is the npm package's entry.
execFileSync(
  process.execPath,
  [
    join(root, 'packages/cli/scripts/bundle.mjs'),
    '--entry',
    join(out, 'dist/main.js'),
    '--outdir',
    join(out, 'bundle'),
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
console.log(`runtime deployment of hugo-orchestrator in ${out}`);

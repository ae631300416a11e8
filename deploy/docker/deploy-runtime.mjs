// Installs what the container's runtime stage holds into one folder: the CLI package (`hugo-orchestrator`, built to
// dist/ beforehand) with its production dependencies only, workspace packages copied in (pnpm deploy; @odin/api with
// its internal .proto files, which it reads at run time), then the parts that only building needs removed. The Dockerfile runs this in its build stage, and test/deploy runs it outside a
// container, so the image and CI install the same thing.
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
// (it copies each workspace dependency's files, dist/ included, into the target's node_modules).
const [bin, ...prefix] = pnpmCommand();
execFileSync(bin, [...prefix, '--filter', 'hugo-orchestrator', 'deploy', '--prod', '--legacy', out], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
});

/** Sources, tests and build intermediates: nothing at run time reads them (packages resolve to dist/). */
const WORKSPACE_PACKAGE_JUNK = ['src', 'test', 'tsconfig.json', 'tsconfig.tsbuildinfo'];
const SQLITE_BUILD_JUNK = ['deps', 'src', 'build/Release/obj.target', 'build/Release/.deps', 'build/deps'];

function removeAll(dir, names) {
  for (const name of names) rmSync(join(dir, name), { recursive: true, force: true });
}

removeAll(out, WORKSPACE_PACKAGE_JUNK);
// pnpm deploy --prod installs no devDependencies but leaves them listed; the runtime manifest names only what it has.
const manifestPath = join(out, 'package.json');
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
delete manifest.devDependencies;
writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
const virtualStore = join(out, 'node_modules/.pnpm');
for (const entry of readdirSync(virtualStore)) {
  const modules = join(virtualStore, entry, 'node_modules');
  if (!existsSync(modules) || !statSync(modules).isDirectory()) continue;
  if (entry.startsWith('@odin+')) {
    for (const name of readdirSync(join(modules, '@odin')))
      removeAll(join(modules, '@odin', name), WORKSPACE_PACKAGE_JUNK);
  } else if (entry.startsWith('better-sqlite3@')) {
    removeAll(join(modules, 'better-sqlite3'), SQLITE_BUILD_JUNK);
  }
}
console.log(`runtime deployment of hugo-orchestrator in ${out}`);

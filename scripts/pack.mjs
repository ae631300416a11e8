// Builds and packs the packages a user installs into npm tarballs: @odin/sdk, @odin/hugo, the hugo-orchestrator
// CLI, and every workspace package they depend on at run time (the CLI's server is assembled from all of them; each
// is packed rather than bundled into the CLI, so the tarballs are the packages as the workspace builds and tests
// them). `pnpm pack` applies each manifest's publishConfig (exports without the `@odin/source` condition, which
// points at sources a tarball does not hold) and turns `workspace:*` into the exact version.
//
// Usage: node scripts/pack.mjs <empty or missing output folder> [--no-build] [--json]
//   --no-build  pack what is built already (the test suite's setup built it); the build outputs are checked anyway
//   --json      print the packed packages as JSON (name, version, tarball, size, files) instead of a table
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const PNPM_VERSION = '10.34.9';
/** What a user installs; the packages they need at run time come with them. */
const ROOTS = ['hugo-orchestrator', '@odin/sdk', '@odin/hugo'];
/**
 * Build outputs that are not TypeScript (scripts/setup.mjs makes them after `tsc -b`) and that the server reads at
 * run time: a tarball without them installs fine and fails only when the HTTP API or the UI is first used.
 */
const NON_TYPESCRIPT_OUTPUTS = {
  '@odin/frontend': ['dist/openapi.yaml'],
  '@odin/ui': ['dist/app/index.html'],
};

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const flags = new Set(args.filter((arg) => arg.startsWith('--')));
const [target] = args.filter((arg) => !arg.startsWith('--'));
const unknown = [...flags].filter((flag) => flag !== '--no-build' && flag !== '--json');
if (!target || unknown.length > 0) {
  console.error('usage: node scripts/pack.mjs <output folder> [--no-build] [--json]');
  process.exit(2);
}
const out = resolve(target);
if (existsSync(out) && readdirSync(out).length > 0) {
  console.error(`${out} is not empty: give pack.mjs an empty or missing folder`);
  process.exit(2);
}
/** Progress goes to stderr, so `--json` leaves stdout to the JSON. */
const log = (line) => console.error(`pack: ${line}`);

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8' });
  if (probe.status === 0 && probe.stdout.trim() === PNPM_VERSION) return ['pnpm'];
  return ['npx', '--yes', `pnpm@${PNPM_VERSION}`];
}
const [bin, ...prefix] = pnpmCommand();

function pnpm(pnpmArgs, options = {}) {
  return execFileSync(bin, [...prefix, ...pnpmArgs], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', options.capture ? 'pipe' : process.stderr, 'inherit'],
  });
}

/** Every workspace package by name: its folder and manifest. */
function workspacePackages() {
  const listed = JSON.parse(pnpm(['ls', '--recursive', '--depth', '-1', '--json'], { capture: true }));
  return new Map(
    listed.map((entry) => [
      entry.name,
      { dir: entry.path, manifest: JSON.parse(readFileSync(join(entry.path, 'package.json'), 'utf8')) },
    ]),
  );
}

/** The roots and, transitively, the workspace packages in their `dependencies` (devDependencies stay behind). */
function publishable(workspace) {
  const chosen = new Set();
  const visit = (name) => {
    if (chosen.has(name)) return;
    const pkg = workspace.get(name);
    if (!pkg) throw new Error(`${name} is not a workspace package`);
    chosen.add(name);
    for (const [dep, spec] of Object.entries(pkg.manifest.dependencies ?? {})) {
      if (spec.startsWith('workspace:')) visit(dep);
    }
  };
  for (const name of ROOTS) visit(name);
  return [...chosen].sort().map((name) => ({ name, ...workspace.get(name) }));
}

/** Every file an export, `types` or `bin` of the published manifest names. */
function entryFiles(manifest) {
  const files = [];
  const walk = (value) => {
    if (typeof value === 'string') files.push(value);
    else if (value && typeof value === 'object') for (const child of Object.values(value)) walk(child);
  };
  walk(manifest.publishConfig?.exports ?? manifest.exports);
  walk(manifest.types);
  walk(manifest.bin);
  return files.filter((file) => file !== './package.json');
}

/** An exports map without the `@odin/source` condition: what publishConfig.exports must say. */
function withoutSourceCondition(exports) {
  if (!exports || typeof exports !== 'object') return exports;
  return Object.fromEntries(
    Object.entries(exports)
      .filter(([key]) => key !== '@odin/source')
      .map(([key, value]) => [key, withoutSourceCondition(value)]),
  );
}

/** Fails naming what is missing when a package is not ready to pack (unbuilt, or publishing fields absent). */
function checkReady(pkg) {
  const problems = [];
  const { manifest } = pkg;
  if (manifest.private) problems.push('is private');
  if (!manifest.files) problems.push('has no `files` list');
  if (!manifest.publishConfig?.exports) {
    problems.push('has no publishConfig.exports (exports without @odin/source)');
  }
  // Written out in each package.json (so `pnpm publish` from the workspace does the same), hence checked here: a
  // subpath added to `exports` alone would be missing from the tarball.
  const published = JSON.stringify(manifest.publishConfig?.exports);
  if (
    manifest.publishConfig?.exports &&
    published !== JSON.stringify(withoutSourceCondition(manifest.exports))
  ) {
    problems.push(`publishConfig.exports is not its exports without @odin/source: ${published}`);
  }
  for (const file of ['LICENSE', 'README.md']) {
    if (!existsSync(join(pkg.dir, file))) problems.push(`has no ${file}`);
  }
  for (const file of [...entryFiles(manifest), ...(NON_TYPESCRIPT_OUTPUTS[pkg.name] ?? [])]) {
    if (!existsSync(join(pkg.dir, file))) problems.push(`is not built: ${file} is missing`);
  }
  return problems.map((problem) => `${pkg.name} (${relative(root, pkg.dir)}) ${problem}`);
}

const packages = publishable(workspacePackages());
if (!flags.has('--no-build')) {
  // What scripts/setup.mjs builds, for these packages only: TypeScript (incremental), then the outputs that are not.
  log(`building ${packages.length} packages`);
  pnpm(['exec', 'tsc', '-b', ...packages.map((pkg) => relative(root, pkg.dir))]);
  pnpm(['--filter', '@odin/frontend', 'run', 'build:openapi']);
  pnpm(['--filter', '@odin/ui', 'run', 'build']);
}
const problems = packages.flatMap(checkReady);
if (problems.length > 0) {
  console.error(`pack: not ready to pack:\n  ${problems.join('\n  ')}`);
  if (flags.has('--no-build') && problems.some((problem) => problem.includes(' is not built: '))) {
    console.error('pack: build first (node scripts/setup.mjs), or drop --no-build');
  }
  process.exit(1);
}

mkdirSync(out, { recursive: true });
log(`packing ${packages.map((pkg) => pkg.name).join(', ')} into ${out}`);
const packed = JSON.parse(
  pnpm([...packages.flatMap((pkg) => ['--filter', pkg.name]), 'pack', '--pack-destination', out, '--json'], {
    capture: true,
  }),
);
const summary = packed
  .map((entry) => ({
    name: entry.name,
    version: entry.version,
    tarball: entry.filename,
    size: statSync(entry.filename).size,
    files: entry.files.map((file) => file.path).sort(),
  }))
  .sort((a, b) => a.name.localeCompare(b.name));

if (flags.has('--json')) {
  console.log(JSON.stringify(summary, null, 2));
} else {
  const width = Math.max(...summary.map((entry) => entry.name.length));
  for (const entry of summary) {
    const kb = (entry.size / 1024).toFixed(1).padStart(7);
    console.log(
      `${entry.name.padEnd(width)}  ${kb} kB  ${String(entry.files.length).padStart(4)} files  ${entry.tarball}`,
    );
  }
  const total = summary.reduce((sum, entry) => sum + entry.size, 0);
  console.log(`${summary.length} tarballs, ${(total / 1024).toFixed(1)} kB in all`);
}

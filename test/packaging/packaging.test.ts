// The packages a user installs, as they will get them: scripts/pack.mjs packs the workspace as built (the suite's
// setup built it: `node scripts/setup.mjs`), each tarball is checked for what it holds and what its manifest points
// at, then npm installs all of them into a fresh project in the OS temp folder (outside the workspace, the npm
// registry used only for third-party packages), the installed CLI starts a dev server, and a worker and a client
// written against the installed @odin/sdk run a workflow on it. Finally `tsc` compiles a file importing the
// installed @odin/sdk, @odin/sdk/workflow and @odin/hugo with moduleResolution nodenext.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { freePort } from '@odin/test-ports';
import { ProcessGroup, run, userEnv } from './process.js';
import {
  allDependencies,
  entryPoints,
  importedPackages,
  type PackedPackage,
  packWorkspace,
  repoRoot,
} from './tarballs.js';

const require = createRequire(import.meta.url);
/** What a user installs by name; everything else is packed because one of these needs it at run time. */
const USER_FACING = ['hugo-orchestrator', '@odin/sdk', '@odin/hugo'];
/** Our own package names: the registry must never be asked for one of these in place of a tarball. */
const isOurs = (name: string) => name.startsWith('@odin/') || name === 'hugo-orchestrator';
/** Files outside dist/ that a package reads at run time. */
const RUNTIME_FILES: Record<string, string[]> = {
  '@odin/api': ['protos/odin/history/v1/service.proto', 'protos/odin/matching/v1/service.proto'],
  '@odin/frontend': ['dist/openapi.yaml'],
  '@odin/ui': ['dist/app/index.html'],
};
const rootManifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const LICENSE = readFileSync(join(repoRoot, 'LICENSE'), 'utf8');

/**
 * Stands in for the npm registry of the @odin scope during the install: answers 404 to everything, so npm can take
 * @odin/* only from the tarballs given to it, never a package of the same name from the public registry. (npm asks
 * it anyway while it places the tarballs: it prefetches a dependency before the tarball providing it is placed,
 * and drops that answer once it is.)
 */
async function scopeRegistryGuard(): Promise<{ url: string; server: Server }> {
  const server = createServer((_request, response) => {
    response.writeHead(404, { 'content-type': 'application/json' });
    response.end('{"error":"not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address && typeof address === 'object');
  return { url: `http://127.0.0.1:${address.port}/`, server };
}

/**
 * better-sqlite3 (a dependency of @odin/persistence) is a native addon. On install npm runs its script,
 * prebuild-install, which takes a prebuilt binary from a local folder (`npm_config_better_sqlite3_local_prebuilds`)
 * or from GitHub, and otherwise compiles the addon from source with node-gyp: minutes of CPU on a loaded CI machine.
 * The workspace's own install compiled the same better-sqlite3 version for this same Node, so that binary is handed
 * over as a local prebuild: the installed package still runs its install script, unpacks the binary, and
 * prebuild-install loads it before accepting it. With ODIN_PACKAGING_SQLITE_FROM_SOURCE=1 nothing is handed over
 * and npm compiles it, as on a user's machine without access to GitHub's prebuilds.
 */
function sqlitePrebuildEnv(folder: string, wantedVersion: string | undefined): Record<string, string> {
  if (process.env.ODIN_PACKAGING_SQLITE_FROM_SOURCE === '1' || !wantedVersion) return {};
  const fromPersistence = createRequire(join(repoRoot, 'packages/persistence/package.json'));
  const addon = dirname(fromPersistence.resolve('better-sqlite3/package.json'));
  const { version } = JSON.parse(readFileSync(join(addon, 'package.json'), 'utf8')) as { version: string };
  const binary = join(addon, 'build/Release/better_sqlite3.node');
  if (version !== wantedVersion || !existsSync(binary)) return {};
  // prebuild-install's file name for this Node ABI, platform and architecture (glibc).
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}`;
  execFileSync('tar', [
    '-czf',
    join(folder, `${name}.tar.gz`),
    '-C',
    addon,
    'build/Release/better_sqlite3.node',
  ]);
  return { npm_config_better_sqlite3_local_prebuilds: folder };
}

describe('the published packages, packed and installed with npm outside the workspace', () => {
  const started = performance.now();
  let work: string;
  let packed: PackedPackage[];

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'odin-packaging-'));
    packed = packWorkspace(join(work, 'tarballs'), join(work, 'unpacked'));
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('the user-facing packages are packed with every package of ours they depend on, at its exact version', () => {
    const names = new Set(packed.map((pkg) => pkg.name));
    for (const name of USER_FACING) assert.ok(names.has(name), `${name} is packed`);
    for (const pkg of packed) {
      for (const [dependency, spec] of Object.entries(pkg.manifest.dependencies ?? {})) {
        if (!isOurs(dependency)) continue;
        const target = packed.find((other) => other.name === dependency);
        assert.ok(target, `${pkg.name} depends on ${dependency}, which is packed too`);
        assert.equal(spec, target.version, `${pkg.name} depends on exactly the packed ${dependency}`);
      }
    }
  });

  test('each manifest is publishable: no workspace or source references, MIT, the engines of the repository', () => {
    for (const { name, manifest } of packed) {
      assert.ok(!JSON.stringify(manifest).includes('workspace:'), `${name}: no workspace: reference is left`);
      assert.ok(
        !JSON.stringify([manifest.exports, manifest.types, manifest.bin]).includes('@odin/source'),
        `${name}: the exports have no @odin/source condition`,
      );
      // The package's own scripts (build, …) stay in the manifest as npm keeps them; none may run on install.
      const installScripts = ['preinstall', 'install', 'postinstall', 'prepare'].filter(
        (script) => manifest.scripts?.[script] !== undefined,
      );
      assert.deepEqual(installScripts, [], `${name} runs nothing when installed`);
      for (const [dependency, spec] of Object.entries(allDependencies(manifest))) {
        assert.ok(!spec.startsWith('file:') && !spec.startsWith('link:'), `${name}: ${dependency}@${spec}`);
      }
      assert.notEqual(manifest.private, true, `${name} is not private`);
      assert.equal(manifest.license, 'MIT', name);
      assert.equal(manifest.engines?.node, rootManifest.engines.node, name);
    }
  });

  test('each tarball holds its build output, README and LICENSE, and every file its manifest names', () => {
    for (const { name, files, dir, manifest } of packed) {
      const unexpected = files.filter(
        (file) =>
          !['package.json', 'README.md', 'LICENSE'].includes(file) &&
          !(file.startsWith('dist/') && !file.endsWith('.map') && !file.endsWith('.tsbuildinfo')) &&
          !(name === '@odin/api' && /^protos\/.+\.proto$/.test(file)),
      );
      assert.deepEqual(unexpected, [], `${name} holds only what runs, its types, README and LICENSE`);
      assert.deepEqual(
        files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')),
        [],
        `${name} holds no TypeScript sources`,
      );
      assert.equal(readFileSync(join(dir, 'LICENSE'), 'utf8'), LICENSE, `${name}: the repository's LICENSE`);
      assert.ok(readFileSync(join(dir, 'README.md'), 'utf8').startsWith(`# ${name}`), `${name}: its README`);
      for (const entry of [...entryPoints(manifest), ...(RUNTIME_FILES[name] ?? [])]) {
        assert.ok(files.includes(entry), `${name} holds ${entry}`);
      }
      for (const bin of Object.values(
        typeof manifest.bin === 'string' ? { name: manifest.bin } : (manifest.bin ?? {}),
      )) {
        assert.match(
          readFileSync(join(dir, bin), 'utf8'),
          /^#!\/usr\/bin\/env node\n/,
          `${name}: ${bin} runs`,
        );
      }
    }
  });

  test('every package a tarball imports at run time is one of its dependencies', () => {
    // npm hoists dependencies, so an undeclared import would still work in the installed project below; here it
    // cannot hide. Declarations are read too: a user's type-check resolves their imports the same way.
    const undeclared: string[] = [];
    for (const { name, files, dir, manifest } of packed) {
      const declared = new Set([name, ...Object.keys(manifest.dependencies ?? {})]);
      for (const file of files.filter((f) => f.endsWith('.js') && !f.startsWith('dist/app/'))) {
        for (const used of importedPackages(readFileSync(join(dir, file), 'utf8'))) {
          if (!declared.has(used)) undeclared.push(`${name}: ${file} imports ${used}`);
        }
      }
      for (const file of files.filter((f) => f.endsWith('.d.ts'))) {
        for (const used of importedPackages(readFileSync(join(dir, file), 'utf8'))) {
          if (!declared.has(used) && !used.startsWith('@types/'))
            undeclared.push(`${name}: ${file} imports ${used}`);
        }
      }
    }
    assert.deepEqual(undeclared, []);
  });

  describe('installed into a fresh project', () => {
    let project: string;
    let guard: Server;
    let installSeconds = 0;

    before(async () => {
      project = join(work, 'project');
      const prebuilds = join(work, 'prebuilds');
      mkdirSync(project);
      mkdirSync(prebuilds);
      writeFileSync(
        join(project, 'package.json'),
        `${JSON.stringify({ name: 'odin-packaging-check', private: true, type: 'module' }, null, 2)}\n`,
      );
      for (const file of ['workflows.mjs', 'run.mjs', 'types-check.ts']) {
        copyFileSync(join(import.meta.dirname, 'consumer', file), join(project, file));
      }
      const registry = await scopeRegistryGuard();
      guard = registry.server;
      const persistence = packed.find((pkg) => pkg.name === '@odin/persistence');
      const env = userEnv(
        sqlitePrebuildEnv(prebuilds, persistence?.manifest.dependencies?.['better-sqlite3']),
      );
      const installStarted = performance.now();
      await run(
        'npm',
        [
          'install',
          '--no-audit',
          '--no-fund',
          '--prefer-offline',
          `--@odin:registry=${registry.url}`,
          ...packed.map((pkg) => pkg.tarball),
          // For the type-check below: a TypeScript user installs Node's types next to the SDK.
          `@types/node@${rootManifest.devDependencies['@types/node']}`,
        ],
        { cwd: project, env, timeoutMs: 540_000 },
      );
      installSeconds = (performance.now() - installStarted) / 1000;
    });

    after(() => guard?.close());

    test('npm took every package of ours from its tarball', (t) => {
      const lock = JSON.parse(readFileSync(join(project, 'package-lock.json'), 'utf8')) as {
        packages: Record<string, { version?: string; resolved?: string }>;
      };
      const ours = Object.entries(lock.packages).filter(([path]) =>
        isOurs(path.replace(/^.*node_modules\//, '')),
      );
      assert.deepEqual(
        ours.map(([path]) => path).sort(),
        packed.map((pkg) => `node_modules/${pkg.name}`).sort(),
        'each package of ours is installed once, at the top of node_modules',
      );
      for (const [path, entry] of ours) {
        assert.match(entry.resolved ?? '', /^file:.+\.tgz$/, `${path} comes from its tarball`);
      }
      t.diagnostic(`npm install of ${packed.length} tarballs took ${installSeconds.toFixed(1)} s`);
    });

    test('the installed CLI starts a dev server; a worker and a client on the installed SDK run a workflow', async () => {
      const port = await freePort();
      const server = new ProcessGroup(
        'npx',
        [
          '--no-install',
          'hugo-orchestrator',
          'server',
          'start-dev',
          '--port',
          String(port),
          '--headless',
          '--http-port',
          '0',
        ],
        { cwd: project, env: userEnv() },
      );
      try {
        await server.waitFor(/Odin dev server listening on 127\.0\.0\.1:\d+/, 60_000);
        // The OpenAPI document is a build output outside the TypeScript: the installed frontend serves it.
        const [, httpPort] = await server.waitFor(/HTTP API: +http:\/\/127\.0\.0\.1:(\d+)/, 5_000);
        const openApi = await fetch(`http://127.0.0.1:${httpPort}/openapi.yaml`);
        assert.equal(openApi.status, 200);
        assert.match(await openApi.text(), /operationId: StartWorkflowExecution/);

        const { output } = await run(process.execPath, ['run.mjs', `127.0.0.1:${port}`], {
          cwd: project,
          env: userEnv(),
          timeoutMs: 60_000,
        });
        const printed = JSON.parse(output.trim().split('\n').at(-1) ?? '') as { result: string; sdk: string };
        assert.equal(printed.result, 'Hello, Odin! Hello, Hugo!');
        const installed = pathToFileURL(join(realpathSync(project), 'node_modules/@odin/sdk/')).href;
        assert.ok(printed.sdk.startsWith(installed), `@odin/sdk loaded from ${printed.sdk}`);
      } finally {
        await server.stop(15_000);
      }
    });

    test('the declarations of @odin/sdk, @odin/sdk/workflow and @odin/hugo resolve under nodenext', async (t) => {
      writeFileSync(
        join(project, 'tsconfig.json'),
        `${JSON.stringify(
          {
            compilerOptions: {
              target: 'ES2022',
              module: 'nodenext',
              moduleResolution: 'nodenext',
              strict: true,
              noEmit: true,
              skipLibCheck: false,
              types: ['node'],
            },
            files: ['types-check.ts'],
          },
          null,
          2,
        )}\n`,
      );
      await run(
        process.execPath,
        [require.resolve('typescript/bin/tsc'), '-p', join(project, 'tsconfig.json')],
        {
          cwd: project,
          env: userEnv(),
          timeoutMs: 120_000,
        },
      );
      t.diagnostic(`packed, installed and run in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    });
  });
});

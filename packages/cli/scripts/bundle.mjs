// Bundles the built CLI (dist/main.js and everything it imports) into a few files in bundle/, which `npm run dev` and
// the benches start. Why: start-dev loads ~1,150 modules from dist/ and node_modules, and resolving, reading and
// linking them one by one was most of its time to ready (docs/performance.md, "Start-up"); the same code in a few
// chunks is ready in about two thirds of the time. Each dynamic import stays a chunk of its own, loaded when the
// code reaches it, so what start-up skips today it still skips.
//
// A bundle runs where it was written, beside the files it was built from (this checkout, or the container's
// deployment, which deploy/docker/deploy-runtime.mjs bundles in place; the published package runs dist/): it keeps the
// unbundled code's view of the file system, so the same files are found as from dist/:
// - `import.meta.url`, `__dirname` and `__filename` in a bundled module name that module's own file, as a path
//   relative to the bundle's folder (files next to a module: protos/, openapi.yaml, createRequire's resolution);
// - a few packages are not bundled but imported from where they are installed: better-sqlite3 (a native addon that
//   finds its binary from its own folder) and the protobuf runtime (@temporalio/proto is a CommonJS root that
//   requires protobufjs, whose optional `long` is found by a require of its own; one copy of each must serve both).
//
// Usage: node scripts/bundle.mjs [--entry <main.js>] [--outdir <folder>] (after `tsc -b`; by default this package's
// dist/main.js and bundle/): writes the folder, then removes what an earlier bundle left there. The files are written
// over in place rather than the folder emptied first, so a dev server already running from it still finds its chunks
// while an unchanged build is written again.
import { readFile } from 'node:fs/promises';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { entry: { type: 'string' }, outdir: { type: 'string' } } });
const entry = resolve(values.entry ?? `${packageDir}dist/main.js`);
const outdir = resolve(values.outdir ?? `${packageDir}bundle`);

/** Imported from their installed files, not bundled (see above). */
const INSTALLED = /^(better-sqlite3|protobufjs|@temporalio\/proto|long)(\/|$)/;

/** A path from the bundle's folder, as a string literal (every chunk is written in that folder). */
function fromBundle(path) {
  return JSON.stringify(relative(outdir, path));
}

// Each output file starts with these: `require` for the CommonJS modules bundled into an ES module, and the bundle's
// folder that the rewritten paths below are relative to.
const banner = [
  "import { createRequire as __odinCreateRequire } from 'node:module';",
  "import { dirname as __odinDirname, join as __odinJoin } from 'node:path';",
  "import { fileURLToPath as __odinToPath, pathToFileURL as __odinToUrl } from 'node:url';",
  'const require = __odinCreateRequire(import.meta.url);',
  'const __odinBundleDir = __odinDirname(__odinToPath(import.meta.url));',
].join('\n');

const keepFileLocations = {
  name: 'keep-file-locations',
  setup(bundler) {
    bundler.onResolve({ filter: INSTALLED }, async (args) => {
      if (args.pluginData?.installed) return undefined;
      const found = await bundler.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        importer: args.importer,
        pluginData: { installed: true },
      });
      if (found.errors.length > 0) return { errors: found.errors };
      return { path: relative(outdir, found.path), external: true };
    });
    bundler.onLoad({ filter: /\.(c|m)?js$/ }, async (args) => {
      let source = await readFile(args.path, 'utf8');
      const file = `__odinJoin(__odinBundleDir, ${fromBundle(args.path)})`;
      source = source.replaceAll('import.meta.url', `__odinToUrl(${file}).href`);
      if (
        /\b__(dirname|filename)\b/.test(source) &&
        !/\b(var|let|const)\s+__(dirname|filename)\b/.test(source)
      ) {
        const dir = `__odinJoin(__odinBundleDir, ${fromBundle(dirname(args.path))})`;
        source = `var __dirname = ${dir}, __filename = ${file};\n${source}`;
      }
      return { contents: source, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
};

const result = await build({
  entryPoints: { main: entry },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  banner: { js: banner },
  plugins: [keepFileLocations],
  // pg's optional native driver is not installed: its require fails at run time, where pg expects it may.
  external: ['pg-native'],
  logLevel: 'warning',
  metafile: true,
});
// What each file holds (esbuild's metafile: which inputs went into which chunk), for the tests and for a look.
writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));
const written = new Set([...Object.keys(result.metafile.outputs).map((file) => basename(file)), 'meta.json']);
for (const file of readdirSync(outdir))
  if (!written.has(file)) rmSync(join(outdir, file), { recursive: true });
console.log(`bundle: ${written.size} files in ${relative(process.cwd(), outdir) || '.'}`);

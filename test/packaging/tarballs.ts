// The tarballs scripts/pack.mjs makes, unpacked for inspection, and what their manifests and modules name.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';

/** The repository root. */
export const repoRoot = new URL('../..', import.meta.url).pathname;

export interface PackageManifest {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  engines?: { node?: string };
  exports?: unknown;
  types?: string;
  bin?: string | Record<string, string>;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

export interface PackedPackage {
  name: string;
  version: string;
  /** Absolute path of the .tgz. */
  tarball: string;
  /** Bytes. */
  size: number;
  /** The tarball's files, relative to its package/ folder. */
  files: string[];
  /** Where the tarball was unpacked. */
  dir: string;
  /** The package.json inside the tarball (what npm sees). */
  manifest: PackageManifest;
}

/** Runs `node scripts/pack.mjs <out> --no-build --json` (the workspace as built) and unpacks each tarball. */
export function packWorkspace(out: string, unpackInto: string): PackedPackage[] {
  const summary = JSON.parse(
    execFileSync(process.execPath, [join(repoRoot, 'scripts/pack.mjs'), out, '--no-build', '--json'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  ) as Omit<PackedPackage, 'dir' | 'manifest'>[];
  return summary.map((entry) => {
    const dir = join(unpackInto, entry.name.replace('/', '+'));
    mkdirSync(dir, { recursive: true });
    // An npm tarball holds everything below package/.
    execFileSync('tar', ['-xzf', entry.tarball, '-C', dir, '--strip-components=1']);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageManifest;
    return { ...entry, dir, manifest };
  });
}

/** The files a manifest's `exports`, `types` and `bin` name, relative to the package (package.json aside). */
export function entryPoints(manifest: PackageManifest): string[] {
  const targets: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') targets.push(value);
    else if (value && typeof value === 'object') for (const child of Object.values(value)) walk(child);
  };
  walk(manifest.exports);
  walk(manifest.types);
  walk(manifest.bin);
  return [...new Set(targets.map((target) => target.replace(/^\.\//, '')))].filter(
    (target) => target !== 'package.json',
  );
}

/** Every dependency list of a manifest, merged (name -> spec). */
export function allDependencies(manifest: PackageManifest): Record<string, string> {
  return {
    ...manifest.dependencies,
    ...manifest.devDependencies,
    ...manifest.peerDependencies,
    ...manifest.optionalDependencies,
  };
}

/**
 * The packages a JavaScript module imports (static and dynamic imports, re-exports, require), by package name, with
 * Node's built-in modules left out. TypeScript's own pre-processor reads the specifiers, so strings and comments
 * that look like imports are not mistaken for them.
 */
export function importedPackages(source: string): Set<string> {
  const names = new Set<string>();
  for (const { fileName } of ts.preProcessFile(source, true, true).importedFiles) {
    if (fileName.startsWith('.') || fileName.startsWith('/') || isBuiltin(fileName)) continue;
    const parts = fileName.split('/');
    names.add(fileName.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? fileName));
  }
  return names;
}

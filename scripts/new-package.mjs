// Scaffolds a workspace package: package.json, tsconfig.json and src/index.ts.
// usage: node scripts/new-package.mjs <dir> <name> '<deps json>' '<devDeps json>' '<refs json>'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const [dir, name, deps = '{}', devDeps = '{}', refs = '[]'] = process.argv.slice(2);
const root = new URL('..', import.meta.url).pathname;
const abs = join(root, dir);
mkdirSync(join(abs, 'src'), { recursive: true });
mkdirSync(join(abs, 'test'), { recursive: true });
const pkg = {
  name,
  version: '0.1.0',
  private: true,
  type: 'module',
  exports: {
    '.': { '@odin/source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' },
  },
  types: './dist/index.d.ts',
  scripts: { build: 'tsc -b' },
  dependencies: JSON.parse(deps),
  devDependencies: JSON.parse(devDeps),
};
writeFileSync(join(abs, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
const tsconfig = {
  extends: relative(abs, join(root, 'tsconfig.base.json')),
  compilerOptions: { rootDir: 'src', outDir: 'dist', tsBuildInfoFile: 'dist/.tsbuildinfo' },
  include: ['src'],
  references: JSON.parse(refs).map((r) => ({ path: relative(abs, join(root, r)) })),
};
writeFileSync(join(abs, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2) + '\n');
const testTsconfig = {
  extends: relative(join(abs, 'test'), join(root, 'tsconfig.base.json')),
  compilerOptions: {
    noEmit: true,
    composite: false,
    incremental: false,
    declaration: false,
    declarationMap: false,
  },
  include: ['.'],
  references: [{ path: '..' }],
};
writeFileSync(join(abs, 'test', 'tsconfig.json'), JSON.stringify(testTsconfig, null, 2) + '\n');
if (!existsSync(join(abs, 'src', 'index.ts'))) writeFileSync(join(abs, 'src', 'index.ts'), 'export {};\n');

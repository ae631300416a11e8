// Runs every *.test.ts of the workspace with node's own test runner (through tsx), so CI reads node's summary.
// Arguments narrow the run: `node scripts/test.mjs packages/hugo` runs only the tests below that folder.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { targetNode } from './node-runtime.mjs';

const root = new URL('..', import.meta.url).pathname;
const roots =
  process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['packages', 'services', 'test', 'examples'];

function collect(dir, out) {
  if (dir.endsWith('.test.ts')) {
    out.push(relative(root, dir));
    return out;
  }
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = roots.flatMap((r) => collect(join(root, r), [])).sort();
if (files.length === 0) {
  console.error('no test files found under', roots.join(', '));
  process.exit(1);
}
const concurrency = process.env.ODIN_TEST_CONCURRENCY ?? '2';
const { node, env } = targetNode();
console.log(`# tests on Node ${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()}`);
const result = spawnSync(
  node,
  [
    '--conditions=@odin/source',
    '--import',
    'tsx',
    '--test',
    // TAP, as Node 20 printed it when not on a terminal: CI reads its closing summary lines.
    '--test-reporter=tap',
    `--test-concurrency=${concurrency}`,
    '--test-timeout=600000',
    ...files,
  ],
  { stdio: 'inherit', cwd: root, env: { ...env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);

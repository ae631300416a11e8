// `npm run bench -- <file under bench/> [args…]`: runs one benchmark script on the project's Node (24, see
// node-runtime.mjs) from TypeScript sources, e.g. `npm run bench -- workloads/run.ts --db sqlite`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { targetNode } from './node-runtime.mjs';

const [script, ...args] = process.argv.slice(2);
if (!script) {
  console.error('usage: npm run bench -- <script under bench/, e.g. peers/run.ts> [args…]');
  process.exit(2);
}
const root = new URL('..', import.meta.url).pathname;
const { node, env } = targetNode();
const result = spawnSync(
  node,
  ['--conditions=@odin/source', '--import', 'tsx', join(root, 'bench', script), ...args],
  {
    stdio: 'inherit',
    cwd: root,
    env,
  },
);
process.exit(result.status ?? 1);

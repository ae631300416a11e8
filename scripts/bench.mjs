// `npm run bench -- <file under bench/> [args…]`: runs one benchmark script on the project's Node (24, see
// node-runtime.mjs) from TypeScript sources, e.g. `npm run bench -- workloads/run.ts --db sqlite`.
// `--built` first: the workspace packages the script imports (@odin/sdk, …) are their built `dist/` as users run
// them, not their sources through tsx, whose transform adds work to every function it creates (`npx tsc -b`
// first). The script itself still runs through tsx. The CLI's bundle, which the benches' servers run
// (bench/server-process.ts), is written afresh from dist/ first.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { targetNode } from './node-runtime.mjs';

const built = process.argv[2] === '--built';
const [script, ...args] = process.argv.slice(built ? 3 : 2);
if (!script) {
  console.error('usage: npm run bench -- <script under bench/, e.g. peers/run.ts> [args…]');
  process.exit(2);
}
const root = new URL('..', import.meta.url).pathname;
const { node, env } = targetNode();
const bundled = spawnSync(node, [join(root, 'packages/cli/scripts/bundle.mjs')], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
if (bundled.status !== 0) process.exit(bundled.status ?? 1);
const result = spawnSync(
  node,
  [...(built ? [] : ['--conditions=@odin/source']), '--import', 'tsx', join(root, 'bench', script), ...args],
  {
    stdio: 'inherit',
    cwd: root,
    env,
  },
);
process.exit(result.status ?? 1);

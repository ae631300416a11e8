// `npm run dev`: the dev server of the built CLI's bundle (packages/cli/bundle, written by the setup) on Node 24 (the pinned one when the Node on PATH is another major),
// with the arguments after `--` passed on. Signals reach the server, which stops gracefully.
import { spawn } from 'node:child_process';
import { targetNode } from './node-runtime.mjs';

const { node, env } = targetNode();
const cli = new URL('../packages/cli/bundle/main.js', import.meta.url).pathname;
const child = spawn(node, [cli, 'server', 'start-dev', ...process.argv.slice(2)], { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));

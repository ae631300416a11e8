// The built CLI as the benches run it: start-dev's arguments, a server process started until its ready line, and
// stopped with SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';

/**
 * The CLI the benches start: BENCH_CLI when set (another build, e.g. packages/cli/dist/main.js), else this checkout's
 * bundle, which `npm run dev` starts too (scripts/bench.mjs writes it afresh from dist/ before each bench; run
 * `npx tsc -b` first).
 */
export const cliPath =
  process.env.BENCH_CLI ?? join(new URL('..', import.meta.url).pathname, 'packages/cli/bundle/main.js');

/** `server start-dev` on a SQLite file, no web UI, the HTTP API on a free port. */
export function startDevArgs(port: number, file: string): string[] {
  return [
    'server',
    'start-dev',
    '--port',
    String(port),
    '--db-filename',
    file,
    '--headless',
    '--http-port',
    '0',
  ];
}

/** Extra node flags for the server process, e.g. BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof". */
export const serverNodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');

/**
 * BENCH_SERVER_CPUS="0" runs the server process on those CPUs only (`taskset -c`), e.g. to give it a core of its own
 * while the bench itself runs under `taskset -c 1`: then what the SDK reaches can be set against its ceiling on the
 * cores it has, with the server's CPU not taken from them.
 */
const serverCpus = process.env.BENCH_SERVER_CPUS;

/** The command and arguments that run the built CLI with `args` (under taskset when BENCH_SERVER_CPUS says). */
export function serverCommand(args: string[]): [string, string[]] {
  const nodeArgs = [...serverNodeArgs, cliPath, ...args];
  return serverCpus
    ? ['taskset', ['-c', serverCpus, process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
}

/**
 * BENCH_SERVER_LOG=<file>: the server's output is appended there instead of dropped, e.g. with
 * BENCH_SERVER_NODE_ARGS=--trace-gc to read the heap after each collection.
 */
const serverLog = process.env.BENCH_SERVER_LOG;

/** Starts the server process and resolves once it prints its ready line; its output is drained from then on. */
export async function startServer(args: string[], env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(...serverCommand(args), {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/listening on/i.test(output)) resolve();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}) before it was ready:\n${output}`)));
  });
  child.stdout?.removeAllListeners('data');
  child.stderr?.removeAllListeners('data');
  if (serverLog) {
    // Appended, so every server of a run (PostgreSQL after SQLite, the cluster's roles) lands in the one file.
    const log = createWriteStream(serverLog, { flags: 'a' });
    log.write(output);
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
  } else {
    child.stdout?.resume();
    child.stderr?.resume();
  }
  return child;
}

/** SIGTERM, then waits for the exit (nothing to do if it exited already). */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

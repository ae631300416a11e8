// The split cluster for benchmarks: every role its own `server start --service <role>` process of the built CLI
// (the benches' `cliPath`, so run `npx tsc -b` first) on one PostgreSQL database. Shared by bench/workloads (official
// SDK) and bench/peers (`@odin/sdk`), so both measure the same topology.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliPath } from './server-process.js';

const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..');

export interface ClusterOptions {
  /** Database URL every role connects to (migrated here first). */
  dbUrl: string;
  /** The frontend's gRPC port. */
  frontendPort: number;
  /** How many history hosts share the shards. */
  historyHosts: number;
  /** Extra node flags for each role's process (e.g. `--cpu-prof`); `{host}` in a flag becomes the host id. */
  nodeArgs?: string[];
}

function migrate(dbUrl: string): Promise<void> {
  return new Promise((resolve, reject) =>
    spawn(process.execPath, [cliPath, 'db', 'migrate'], {
      cwd: repo,
      env: { ...process.env, HUGO_ORCHESTRATOR_DB_CONNECTION: dbUrl },
      stdio: 'ignore',
    }).once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`db migrate exited ${code}`)))),
  );
}

/** How long one role may take to print its banner. */
const START_TIMEOUT_MS = 60_000;

/** One role's process, resolved once it prints its banner (killed, and rejected, when it does not in time). */
function startHost(options: ClusterOptions, role: string, hostId: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []).map((arg) => arg.replaceAll('{host}', hostId)),
      cliPath,
      'server',
      'start',
      '--service',
      role,
    ],
    {
      cwd: repo,
      env: {
        ...process.env,
        HUGO_ORCHESTRATOR_DB_CONNECTION: options.dbUrl,
        HUGO_ORCHESTRATOR_LOG_LEVEL: 'error',
        HUGO_ORCHESTRATOR_HOST_ID: hostId,
        HUGO_ORCHESTRATOR_FRONTEND_PORT: String(options.frontendPort),
        HUGO_ORCHESTRATOR_HISTORY_PORT: '0',
        HUGO_ORCHESTRATOR_MATCHING_PORT: '0',
        // Any free port for the frontend's HTTP API, so a server on the default 7243 does not stop the bench.
        HUGO_ORCHESTRATOR_HTTP_PORT: '0',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    const late = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${hostId} printed no banner within ${START_TIMEOUT_MS} ms: ${out}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (/serving/.test(out)) {
        clearTimeout(late);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(late);
      reject(new Error(`${hostId} exited ${code}: ${out}`));
    });
  });
}

/**
 * Starts the history hosts first (each takes its share of the shards), then matching, the worker and the frontend.
 * When a role exits or does not come up in time (a port another server holds, say), the ones already started are
 * stopped before the error is thrown, so a failed bench leaves no processes behind.
 */
export async function startCluster(options: ClusterOptions): Promise<ChildProcess[]> {
  await migrate(options.dbUrl);
  const roles: [string, string][] = [
    ...Array.from({ length: options.historyHosts }, (_, i): [string, string] => [
      'history',
      `history-${i + 1}`,
    ]),
    ['matching', 'matching-1'],
    ['worker', 'worker-1'],
    ['frontend', 'frontend-1'],
  ];
  const hosts: ChildProcess[] = [];
  for (const [role, hostId] of roles) {
    try {
      hosts.push(await startHost(options, role, hostId));
    } catch (error) {
      await stopCluster(hosts);
      throw error;
    }
  }
  return hosts;
}

/** SIGTERM to every process, frontend first (the reverse of start order), and waits for each to exit. */
export async function stopCluster(hosts: ChildProcess[]): Promise<void> {
  for (const host of [...hosts].reverse()) {
    if (host.exitCode !== null) continue;
    const exited = new Promise((resolve) => host.once('exit', resolve));
    host.kill('SIGTERM');
    await exited;
  }
}

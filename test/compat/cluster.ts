// A cluster of Odin processes on one PostgreSQL database for the compat suite: every role its own process
// (`server start --service …`), each history and matching host on its own internal port, found by membership.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@odin/test-ports';
import { type Child, spawnNode } from './processes.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '..', '..');
// The built CLI starts in a fraction of tsx's time, and a cluster is seven processes on two cores.
const CLI = join(repo, 'packages', 'cli', 'dist', 'main.js');

export interface ClusterShape {
  readonly history: number;
  readonly matching: number;
  readonly shardCount: number;
  /** HUGO_ORCHESTRATOR_MEMBERSHIP_TTL_MS of every process. */
  readonly membershipTtlMs: number;
  /** Log level of every process; default ODIN_COMPAT_LOG_LEVEL or warn. */
  readonly logLevel?: string;
}

export const DEFAULT_SHAPE: ClusterShape = {
  history: 3,
  matching: 2,
  shardCount: 64,
  membershipTtlMs: 3_000,
};

export interface Cluster {
  /** host:port of the frontend. */
  readonly address: string;
  /** Every process by name: frontend, worker, history-1…, matching-1…. */
  readonly hosts: ReadonlyMap<string, Child>;
  readonly shape: ClusterShape;
  /** Starts (or restarts) one named host. */
  spawnHost(name: string): Promise<Child>;
  stop(): Promise<void>;
}

function runCli(args: string[], env: Record<string, string>, ready: RegExp): Promise<Child> {
  return spawnNode([CLI, ...args], ready, env, `hugo-orchestrator ${args.join(' ')}`);
}

/**
 * Migrates the database, then starts a frontend, a system worker and the history and matching hosts. `env` is
 * added to every process's environment (e.g. TLS material).
 */
export async function startCluster(
  dbUrl: string,
  shape: ClusterShape = DEFAULT_SHAPE,
  env: Record<string, string> = {},
): Promise<Cluster> {
  const common = {
    ...env,
    HUGO_ORCHESTRATOR_DB_CONNECTION: dbUrl,
    HUGO_ORCHESTRATOR_SHARD_COUNT: String(shape.shardCount),
    HUGO_ORCHESTRATOR_MEMBERSHIP_TTL_MS: String(shape.membershipTtlMs),
    HUGO_ORCHESTRATOR_MEMBERSHIP_HEARTBEAT_INTERVAL_MS: String(
      Math.max(100, Math.floor(shape.membershipTtlMs / 6)),
    ),
    HUGO_ORCHESTRATOR_HISTORY_PORT: '0',
    HUGO_ORCHESTRATOR_MATCHING_PORT: '0',
    // The frontend process serves the HTTP API too; a fixed port would collide with concurrent clusters.
    HUGO_ORCHESTRATOR_HTTP_PORT: '0',
    HUGO_ORCHESTRATOR_DB_POOL_SIZE: '4',
    HUGO_ORCHESTRATOR_LOG_LEVEL: shape.logLevel ?? process.env.ODIN_COMPAT_LOG_LEVEL ?? 'warn',
  };
  const migrate = await runCli(['db', 'migrate'], common, /schema of/);
  await new Promise<void>((resolve) => {
    if (migrate.process.exitCode !== null) resolve();
    else migrate.process.once('exit', () => resolve());
  });
  // A fixed port, not 0: a frontend started again (spawnHost) must come back where clients connect.
  const frontendPort = await freePort();
  const hosts = new Map<string, Child>();
  const roleOf = (name: string) => name.replace(/-\d+$/, '');
  const spawnHost = async (name: string): Promise<Child> => {
    const child = await runCli(
      ['server', 'start', '--service', roleOf(name)],
      {
        ...common,
        HUGO_ORCHESTRATOR_HOST_ID: name,
        HUGO_ORCHESTRATOR_FRONTEND_PORT: roleOf(name) === 'frontend' ? String(frontendPort) : '0',
      },
      /Odin cluster host .* serving/,
    );
    hosts.set(name, child);
    return child;
  };
  const names = [
    ...Array.from({ length: shape.history }, (_, i) => `history-${i + 1}`),
    ...Array.from({ length: shape.matching }, (_, i) => `matching-${i + 1}`),
    'worker',
    'frontend',
  ];
  const stop = async () => {
    await Promise.all([...hosts.values()].map((h) => h.kill('SIGTERM')));
  };
  try {
    // One at a time: a history host that starts alone takes every shard, and each that follows takes its share,
    // so starting them together would only make them contend for the same leases.
    for (const name of names) await spawnHost(name);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address: `127.0.0.1:${frontendPort}`, hosts, shape, spawnHost, stop };
}

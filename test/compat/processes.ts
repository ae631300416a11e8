// Child processes for the kill scenarios: an SDK worker or an Odin server that a test can SIGKILL.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = join(here, '..', '..');

export interface Child {
  readonly process: ChildProcess;
  /** Everything the child printed so far. */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Runs node with `args`; resolves once `ready` is printed (stdout or stderr), rejects if it exits first. */
export function spawnNode(
  args: string[],
  ready: RegExp,
  env: Record<string, string> = {},
  label = args.join(' '),
): Promise<Child> {
  const child = spawn(process.execPath, args, {
    cwd: repo,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const handle: Child = {
    process: child,
    output: () => output,
    kill: (signal = 'SIGKILL') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        // A stopped process ignores everything but SIGKILL and SIGCONT: wake it so a SIGTERM can be handled.
        if (signal !== 'SIGKILL') child.kill('SIGCONT');
        child.kill(signal);
      }),
  };
  return new Promise<Child>((resolve, reject) => {
    const timer = setTimeout(() => {
      void handle.kill();
      reject(new Error(`${label} did not get ready in 60 s:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve(handle);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

/** Runs a TypeScript entry point under tsx with the workspace's source condition; resolves once `ready` is printed. */
export function spawnTs(
  script: string,
  args: string[],
  ready: RegExp,
  env: Record<string, string> = {},
): Promise<Child> {
  return spawnNode(['--conditions=@odin/source', '--import', 'tsx', script, ...args], ready, env, script);
}

export function spawnWorker(address: string, taskQueue: string): Promise<Child> {
  return spawnTs(join(here, 'worker-process.ts'), [address, taskQueue], /worker ready/);
}

const CLI = join(repo, 'packages', 'cli', 'src', 'main.ts');

/** An Odin server process on `dbUrl`: start-dev for SQLite files, migrate + start for PostgreSQL / MySQL. */
export async function spawnServer(dbUrl: string, port: number): Promise<Child> {
  if (dbUrl.startsWith('sqlite:')) {
    return spawnTs(
      CLI,
      [
        'server',
        'start-dev',
        '--port',
        String(port),
        '--db-filename',
        dbUrl.slice('sqlite:'.length),
        // Fixed HTTP and UI ports would collide between concurrent servers; the compat suite speaks gRPC only.
        '--http-port',
        '0',
        '--headless',
      ],
      /listening on/,
      { HUGO_ORCHESTRATOR_SHARD_COUNT: '8' },
    );
  }
  const env = { HUGO_ORCHESTRATOR_DB_CONNECTION: dbUrl, HUGO_ORCHESTRATOR_SHARD_COUNT: '8' };
  const migrate = await spawnTs(CLI, ['db', 'migrate'], /schema of/, env);
  await new Promise<void>((resolve) => {
    if (migrate.process.exitCode !== null) resolve();
    else migrate.process.once('exit', () => resolve());
  });
  return spawnTs(CLI, ['server', 'start', '--port', String(port), '--http-port', '0'], /listening on/, env);
}

// Child processes of the packaging test: commands run to completion, and a long-running server stopped as a group.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * The environment of a user's shell, from the test's: without what `npm test` exports for its own script (the
 * project folder, the package being run) and without the test runner's NODE_OPTIONS/NODE_ENV, which would point a
 * nested npm at the workspace or change how the server runs. npm's settings (`npm_config_*`: cache, registry, the
 * Node headers native addons build against) stay, as a user's npmrc would.
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(package|lifecycle)_/.test(key)) continue;
    if (
      ['npm_command', 'npm_execpath', 'npm_node_execpath', 'npm_config_local_prefix', 'INIT_CWD'].includes(
        key,
      )
    ) {
      continue;
    }
    if (key === 'NODE_OPTIONS' || key === 'NODE_ENV') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

export interface Finished {
  code: number | null;
  output: string;
}

/**
 * Runs a command to its end without blocking this process (the test serves HTTP to it meanwhile) and resolves with
 * its output; rejects with that output when it exits non-zero or outlives `timeoutMs` (it is then killed).
 */
export async function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<Finished> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  try {
    const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    if (code !== 0) {
      throw new Error(
        `${command} ${args.join(' ')} exited with ${code ?? signal} in ${options.cwd}:\n${output}`,
      );
    }
    return { code, output };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A long-running command in a process group of its own (`npx` runs the binary in a child of its own), so stopping
 * it reaches every process it started and nothing else.
 */
export class ProcessGroup {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }) {
    this.child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.output += chunk.toString();
    });
    this.exited = once(this.child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
  }

  /** Resolves with the first match of `pattern` in the output; rejects after `ms` or when the process exits. */
  async waitFor(pattern: RegExp, ms: number): Promise<RegExpExecArray> {
    const until = Date.now() + ms;
    let exited = false;
    void this.exited.then(() => {
      exited = true;
    });
    while (Date.now() < until) {
      const match = pattern.exec(this.output);
      if (match) return match;
      if (exited) throw new Error(`the process exited before printing ${pattern}:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out after ${ms} ms waiting for ${pattern}:\n${this.output}`);
  }

  /** SIGTERM to the group, then SIGKILL to whatever of it is left after `ms`; resolves with the command's exit. */
  async stop(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const pid = this.child.pid;
    if (pid === undefined) return this.exited;
    const signalGroup = (signal: NodeJS.Signals | 0): boolean => {
      try {
        process.kill(-pid, signal);
        return true;
      } catch {
        return false; // no process of the group is left
      }
    };
    signalGroup('SIGTERM');
    const until = Date.now() + ms;
    while (signalGroup(0) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
    signalGroup('SIGKILL');
    return this.exited;
  }
}

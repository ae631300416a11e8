// The client verbs of `hugo-orchestrator` (namespace …, workflow …), built on @odin/sdk's client.
import { Command, CommanderError } from 'commander';
import { ExitCode } from './exit-codes.js';
import { type CliIo, processIo } from './io.js';
import { registerNamespaceCommands } from './namespace.js';
import { registerWorkflowCommands } from './workflow.js';

export { ExitCode } from './exit-codes.js';
export type { CliIo } from './io.js';

/** Adds `namespace` and `workflow` to the program. Parse errors exit 2; help exits 0. */
export function registerClientCommands(program: Command, io: CliIo = processIo()): void {
  for (const [name, description, register] of [
    ['namespace', 'create, describe, list and update namespaces', registerNamespaceCommands],
    [
      'workflow',
      'start, signal, query, describe, list, show, cancel, terminate workflows; await results',
      registerWorkflowCommands,
    ],
  ] as const) {
    // Set before the subcommands are added: commander copies these settings into each subcommand.
    const group = program
      .command(name)
      .description(description)
      .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
      .exitOverride((error: CommanderError) =>
        io.exitOnParse(error.exitCode === 0 ? ExitCode.ok : ExitCode.usage),
      );
    register(group, io);
  }
}

class ParseExit extends Error {
  constructor(readonly code: number) {
    super(`parse exit ${code}`);
  }
}

/**
 * Runs one client command line (without the program name) in this process with captured output, for tests and
 * embedding; resolves to the exit code the CLI process would have.
 */
export async function runClientCommand(
  args: string[],
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  let code: number = ExitCode.ok;
  const io: CliIo = {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    env,
    setExitCode: (value) => {
      code = value;
    },
    exitOnParse: (value) => {
      throw new ParseExit(value);
    },
  };
  const program = new Command().name('hugo-orchestrator').exitOverride();
  registerClientCommands(program, io);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof ParseExit) code = error.code;
    else if (error instanceof CommanderError) code = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    else throw error;
  }
  return { code, stdout, stderr };
}

import { Command, type CommanderError } from 'commander';
import { registerClientCommands } from './commands/index.js';
import { ExitCode, formatError, isJsonOutput } from './commands/exit-codes.js';
import { type CliIo, outputFormatIn } from './commands/io.js';
import { registerServerCommands } from './server-commands.js';

/** Commander's message without its "error: " prefix and line end. */
function commanderMessage(text: string): string {
  return text.replace(/^error:\s*/i, '').trimEnd();
}

/**
 * The whole `hugo-orchestrator` command line. Every parse failure (unknown command or option, missing or invalid
 * value, a group without its verb) exits 2, help and version exit 0; under `-o json` / `-o jsonl` a parse failure is
 * reported as JSON like every other error. Set on the program before the commands are added, because commander
 * copies these settings into each command when it is created.
 */
export function buildProgram(io: CliIo): Command {
  const program = new Command()
    .name('hugo-orchestrator')
    .description('Odin, the Hugo Durable Orchestrator: a Temporal-compatible workflow server')
    .version('0.1.0')
    .configureOutput({
      writeOut: (text) => io.out(text),
      writeErr: (text) => io.err(text),
      outputError: (text, write) =>
        write(
          isJsonOutput(io.requestedOutput) ? formatError(commanderMessage(text), ExitCode.usage, true) : text,
        ),
    })
    .exitOverride((error: CommanderError) => io.exit(error.exitCode === 0 ? ExitCode.ok : ExitCode.usage));
  registerServerCommands(program, io);
  registerClientCommands(program, io);
  return program;
}

class CommandExit extends Error {
  constructor(readonly code: number) {
    super(`command exit ${code}`);
  }
}

/**
 * Runs one command line (without the program name) in this process with captured output, for tests and
 * embedding; resolves to the exit code the CLI process would have.
 */
export async function runCommand(
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
    requestedOutput: outputFormatIn(args, env),
    setExitCode: (value) => {
      code = value;
    },
    exit: (value) => {
      throw new CommandExit(value);
    },
  };
  try {
    await buildProgram(io).parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommandExit) code = error.code;
    else throw error;
  }
  return { code, stdout, stderr };
}

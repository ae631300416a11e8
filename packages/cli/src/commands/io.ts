/** Where a command writes and what environment it reads; the process's own, or captured ones in tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * The output format the command line asked for, read from the arguments before they are parsed, so that even
   * a command line commander refuses gets its error in that format.
   */
  readonly requestedOutput: string | undefined;
  /** Records the exit code of the command that ran (the process exits with it once the event loop drains). */
  setExitCode(code: number): void;
  /**
   * Ends the command at once (a command line that did not parse, help printed, a server that could not start);
   * in the process this exits, in tests it throws.
   */
  exit(code: number): never;
}

/**
 * The `-o` / `--output` value among `args` (the last one wins, as when commander parses them), else the
 * environment's; undefined when neither names one.
 */
export function outputFormatIn(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') break;
    if (arg === '-o' || arg === '--output') found = args[i + 1];
    else if (arg.startsWith('--output=')) found = arg.slice('--output='.length);
    else if (arg.startsWith('-o') && !arg.startsWith('--') && arg.length > 2) found = arg.slice(2);
  }
  const fromEnv = env.HUGO_ORCHESTRATOR_OUTPUT?.trim();
  return found ?? (fromEnv === '' ? undefined : fromEnv);
}

export function processIo(args: readonly string[] = process.argv.slice(2)): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    requestedOutput: outputFormatIn(args, process.env),
    setExitCode: (code) => {
      process.exitCode = code;
    },
    exit: (code) => process.exit(code),
  };
}

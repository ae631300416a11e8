/** Where a command writes and what environment it reads; the process's own, or captured ones in tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Records the exit code of the command that ran (the process exits with it once the event loop drains). */
  setExitCode(code: number): void;
  /** Ends a command-line parse that failed or printed help; in the process this exits, in tests it throws. */
  exitOnParse(code: number): never;
}

export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    env: process.env,
    setExitCode: (code) => {
      process.exitCode = code;
    },
    exitOnParse: (code) => process.exit(code),
  };
}

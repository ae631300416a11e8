/** Exit codes scripts can rely on (documented in docs/cli.md). */
export const ExitCode = {
  /** The operation succeeded. */
  ok: 0,
  /** The server answered and the operation failed: workflow failed, not found, already started, ... */
  failed: 1,
  /** The command line is wrong: unknown option, missing value, invalid JSON, unreadable file. */
  usage: 2,
  /** No answer from the server: nothing listening, connection refused, TLS handshake failed, deadline passed. */
  unreachable: 3,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the CLI reports with a message a person can act on, and an exit code a script can test. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, ExitCode.usage);
}

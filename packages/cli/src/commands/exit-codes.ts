/** Exit codes scripts can rely on (documented in docs/cli.md). */
export const ExitCode = {
  /** The operation succeeded. */
  ok: 0,
  /** The server answered and the operation failed: workflow failed, not found, already started, ... */
  failed: 1,
  /** The command line is wrong: unknown option, missing value, invalid JSON, unreadable file, bad configuration. */
  usage: 2,
  /** No answer from the server: nothing listening, connection refused, TLS handshake failed, deadline passed. */
  unreachable: 3,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The name of an exit code in JSON error reports. */
const KIND: Record<number, string> = { 1: 'failed', 2: 'usage', 3: 'unreachable' };

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

/** True for the output formats whose errors are JSON too. */
export function isJsonOutput(format: string | undefined): boolean {
  return format === 'json' || format === 'jsonl';
}

/**
 * A failure as the CLI writes it to stderr: `Error: <message>` for people, or under `-o json` / `-o jsonl` one
 * line of JSON, `{"error":{"message":…,"kind":"usage","exitCode":2}}`, for scripts.
 */
export function formatError(message: string, exitCode: number, json: boolean): string {
  if (!json) return `Error: ${message}\n`;
  return `${JSON.stringify({ error: { message, kind: KIND[exitCode] ?? 'failed', exitCode } })}\n`;
}

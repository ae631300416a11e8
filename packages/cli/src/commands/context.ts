import { Connection, NamespaceClient, WorkflowClient } from '@odin/sdk';
import { type ClientFlags, type ClientSettings, resolveClientSettings } from './client-options.js';
import { toCliError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import type { CliIo } from './io.js';

/** What a client command works with: resolved settings, the connection and the SDK's clients over it. */
export interface CommandContext {
  io: CliIo;
  settings: ClientSettings;
  workflows: WorkflowClient;
  namespaces: NamespaceClient;
}

/** Attempts of a call the server did not answer (UNAVAILABLE): short, so an absent server is reported fast. */
const CLI_CALL_ATTEMPTS = 3;

/**
 * Wraps a command body: resolves the options and environment, connects, runs, reports the failure as a message on
 * stderr, records the exit code and always closes the connection (an open channel would keep the process alive).
 */
export function clientAction<O extends ClientFlags>(
  io: CliIo,
  what: string,
  body: (ctx: CommandContext, opts: O) => Promise<void>,
): (opts: O) => Promise<void> {
  return async (opts: O) => {
    let settings: ClientSettings | undefined;
    let connection: Connection | undefined;
    // grpc-js and the SDK's retry backoff hold no ref'd handle while waiting to reconnect; without this the
    // process would end mid-call (exit 13, unsettled top-level await) instead of reporting the failure.
    const keepAlive = setInterval(() => {}, 60_000);
    try {
      settings = resolveClientSettings(opts, io.env);
      connection = Connection.connect({
        address: settings.address,
        ...(settings.tls === undefined ? {} : { tls: settings.tls }),
        callTimeoutMs: settings.callTimeoutMs,
        maxAttempts: CLI_CALL_ATTEMPTS,
      });
      const workflows = new WorkflowClient({
        connection,
        namespace: settings.namespace,
        identity: `hugo-orchestrator-cli/${process.pid}`,
      });
      await body({ io, settings, workflows, namespaces: new NamespaceClient(connection) }, opts);
      io.setExitCode(ExitCode.ok);
    } catch (error) {
      const failure = toCliError(error, settings, what);
      io.err(`Error: ${failure.message}\n`);
      io.setExitCode(failure.exitCode);
    } finally {
      clearInterval(keepAlive);
      connection?.close();
    }
  };
}

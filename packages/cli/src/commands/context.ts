import type { NamespaceClient, ScheduleClient, WorkflowClient } from '@odin/sdk';
import type { ClientFlags } from './client-options.js';
import { CliError, ExitCode, formatError, isJsonOutput } from './exit-codes.js';
import type { CliIo } from './io.js';
import type { ClientSettings } from './settings.js';

/** What a client command works with: resolved settings, the connection and the SDK's clients over it. */
export interface CommandContext {
  io: CliIo;
  settings: ClientSettings;
  workflows: WorkflowClient;
  namespaces: NamespaceClient;
  schedules: ScheduleClient;
}

/** Attempts of a call the server did not answer (UNAVAILABLE): short, so an absent server is reported fast. */
const CLI_CALL_ATTEMPTS = 3;

/**
 * Wraps a command body: resolves the options and environment, connects, runs, reports a failure on stderr (as
 * text, or as JSON under `-o json` / `-o jsonl`), records the exit code and always closes the connection (an open
 * channel would keep the process alive). The SDK and the settings are imported here, when a command runs, so that
 * `--help` and a mistyped command line do not load them.
 */
export function clientAction<O extends ClientFlags>(
  io: CliIo,
  what: string,
  body: (ctx: CommandContext, opts: O) => Promise<void>,
): (opts: O) => Promise<void> {
  return async (opts: O) => {
    let settings: ClientSettings | undefined;
    let connection: { close(): void } | undefined;
    // grpc-js and the SDK's retry backoff hold no ref'd handle while waiting to reconnect; without this the
    // process would end mid-call (exit 13, unsettled top-level await) instead of reporting the failure.
    const keepAlive = setInterval(() => {}, 60_000);
    try {
      const [{ resolveClientSettings }, sdk] = await Promise.all([
        import('./settings.js'),
        import('@odin/sdk'),
      ]);
      settings = resolveClientSettings(opts, io.env);
      const opened = sdk.Connection.connect({
        address: settings.address,
        ...(settings.tls === undefined ? {} : { tls: settings.tls }),
        ...(settings.apiKey === undefined
          ? {}
          : { metadata: { authorization: `Bearer ${settings.apiKey}` } }),
        callTimeoutMs: settings.callTimeoutMs,
        maxAttempts: CLI_CALL_ATTEMPTS,
      });
      connection = opened;
      const workflows = new sdk.WorkflowClient({
        connection: opened,
        namespace: settings.namespace,
        identity: `hugo-orchestrator-cli/${process.pid}`,
      });
      const schedules = new sdk.ScheduleClient({
        connection: opened,
        namespace: settings.namespace,
        identity: `hugo-orchestrator-cli/${process.pid}`,
      });
      await body({ io, settings, workflows, namespaces: new sdk.NamespaceClient(opened), schedules }, opts);
      io.setExitCode(ExitCode.ok);
    } catch (error) {
      const failure =
        error instanceof CliError ? error : (await import('./errors.js')).toCliError(error, settings, what);
      const json = isJsonOutput(settings?.output ?? opts.output ?? io.requestedOutput);
      io.err(formatError(failure.message, failure.exitCode, json));
      io.setExitCode(failure.exitCode);
    } finally {
      clearInterval(keepAlive);
      connection?.close();
    }
  };
}

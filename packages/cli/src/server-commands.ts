// `server start-dev`, `server start` and `db migrate`: command-line concerns only (flags, banners, signals, exit
// codes). The server itself is @odin/server's one assembly, imported when a server command runs so that `--help`
// and the client commands do not load it.
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { LogLevel } from '@odin/runtime';
import { isServiceRole, SERVICE_ROLES, type ServiceRole } from '@odin/server/roles';
import { collect } from './commands/client-options.js';
import { CliError, ExitCode, formatError } from './commands/exit-codes.js';
import type { CliIo } from './commands/io.js';

/** How long a SIGINT/SIGTERM waits for a clean stop before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('must be a whole number between 0 and 65535.');
  }
  return port;
}

/** `--service history,matching` or repeated `--service`; `all` (the default) is every role in one process. */
function parseServices(value: string, previous: ServiceRole[] | 'all' | undefined): ServiceRole[] | 'all' {
  const roles: ServiceRole[] = previous === undefined || previous === 'all' ? [] : [...previous];
  for (const part of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (part === 'all') return 'all';
    if (!isServiceRole(part)) {
      throw new InvalidArgumentError(
        `unknown service "${part}"; use all or any of ${SERVICE_ROLES.join(', ')}.`,
      );
    }
    if (!roles.includes(part)) roles.push(part);
  }
  if (roles.length === 0)
    throw new InvalidArgumentError(`name at least one of all, ${SERVICE_ROLES.join(', ')}.`);
  return roles;
}

/**
 * Checked by the server's configuration, as HUGO_ORCHESTRATOR_LOG_LEVEL is (a bad one is a usage error), not here:
 * the list lives with the configuration, which `--help` does not load.
 */
const logLevelOption = () =>
  new Option(
    '--log-level <level>',
    'trace, debug, info, warn, error, fatal or silent [env HUGO_ORCHESTRATOR_LOG_LEVEL]',
  );

// `--tls-cert`, `--tls-key`, `--tls-client-ca`: TLS on the client-facing ports of `server start` / `start-dev`.
const tlsCertOption = () =>
  new Option(
    '--tls-cert <path>',
    'PEM certificate (chain) of the client-facing ports, reloaded when the file changes [env HUGO_ORCHESTRATOR_TLS_CERT]',
  );
const tlsKeyOption = () =>
  new Option('--tls-key <path>', 'PEM private key of --tls-cert [env HUGO_ORCHESTRATOR_TLS_KEY]');
const tlsClientCaOption = () =>
  new Option(
    '--tls-client-ca <path>',
    'PEM CA bundle; clients must present a certificate it signed (mTLS) [env HUGO_ORCHESTRATOR_TLS_CLIENT_CA]',
  );

interface ServerTlsFlags {
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
}

/** The configuration overrides of the TLS flags given (the rest comes from the environment). */
function tlsOverrides(opts: ServerTlsFlags): ServerTlsFlags {
  return {
    ...(opts.tlsCert === undefined ? {} : { tlsCert: opts.tlsCert }),
    ...(opts.tlsKey === undefined ? {} : { tlsKey: opts.tlsKey }),
    ...(opts.tlsClientCa === undefined ? {} : { tlsClientCa: opts.tlsClientCa }),
  };
}

/** How the banner names the client-facing transport. */
function transportLabel(config: ServerTlsFlags): string {
  if (config.tlsCert === undefined) return 'plaintext';
  return config.tlsClientCa === undefined ? 'TLS' : 'mutual TLS';
}

/** Stops the server once on the first SIGINT/SIGTERM; a second signal or the timeout exits at once. */
function stopOnSignals(server: { stop(): Promise<unknown> }, io: CliIo): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) io.exit(1);
    stopping = true;
    io.err(`${signal} received: stopping (at most ${SHUTDOWN_TIMEOUT_MS / 1000} s)\n`);
    const forced = setTimeout(() => {
      io.err('shutdown timed out; exiting\n');
      io.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    forced.unref();
    server.stop().then(
      () => io.exit(0),
      (error: unknown) => {
        io.err(
          `shutdown failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
        );
        io.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/**
 * Reports why a server command failed and ends the process: bad configuration (a variable or flag value, a missing
 * or malformed database URL, TLS files or encryption keys that cannot be used) is a usage error (exit 2); anything else (database unreachable, schema too old, port
 * taken) exits 1.
 */
async function fail(io: CliIo, error: unknown): Promise<never> {
  const [
    { ConfigError, TlsMaterialError },
    { InvalidConnectionUrlError, KeyProviderConfigError, PersistenceError },
  ] = await Promise.all([import('@odin/runtime'), import('@odin/persistence')]);
  const failure =
    error instanceof CliError
      ? error
      : error instanceof ConfigError ||
          error instanceof InvalidConnectionUrlError ||
          error instanceof TlsMaterialError ||
          error instanceof KeyProviderConfigError
        ? new CliError(error.message, ExitCode.usage)
        : error instanceof PersistenceError
          ? new CliError(error.message, ExitCode.failed)
          : new CliError(
              error instanceof Error ? (error.stack ?? error.message) : String(error),
              ExitCode.failed,
            );
  io.err(formatError(failure.message, failure.exitCode, false));
  return io.exit(failure.exitCode);
}

interface StartDevFlags extends ServerTlsFlags {
  port: number;
  ip: string;
  dbFilename?: string;
  namespace: string[];
  logLevel?: string;
  metricsPort?: number;
  httpPort?: number;
  uiPort?: number;
  headless?: boolean;
}

interface StartFlags extends ServerTlsFlags {
  port?: number;
  ip?: string;
  logLevel?: string;
  service?: ServiceRole[] | 'all';
  httpPort?: number;
  ui?: boolean;
  uiPort?: number;
}

const httpPortOption = () =>
  new Option(
    '--http-port <port>',
    "Temporal's HTTP API port [env HUGO_ORCHESTRATOR_HTTP_PORT, default 7243]",
  ).argParser(parsePort);
const uiPortOption = () =>
  new Option('--ui-port <port>', 'web UI port [env HUGO_ORCHESTRATOR_UI_PORT, default 8233]').argParser(
    parsePort,
  );

/** The HTTP API and the UI are doors of the frontend: their flags on a process without it are a usage error. */
function checkFrontendFlags(opts: StartFlags, services: ServiceRole[] | 'all'): void {
  if (services === 'all' || services.includes('frontend')) return;
  const flags = [
    opts.httpPort === undefined ? undefined : '--http-port',
    opts.ui ? '--ui' : undefined,
    opts.uiPort === undefined ? undefined : '--ui-port',
  ].filter(Boolean);
  if (flags.length > 0) {
    throw new CliError(
      `${flags.join(', ')} need the frontend role; this process runs ${services.join(', ')}.`,
      ExitCode.usage,
    );
  }
}

export function registerServerCommands(program: Command, io: CliIo): void {
  const server = program.command('server').description('run the orchestrator server');

  server
    .command('start-dev')
    .description('every role in one process on embedded SQLite (in memory unless --db-filename is given)')
    .addOption(new Option('--port <port>', 'gRPC frontend port').default(7233).argParser(parsePort))
    .option('--ip <address>', 'address to listen on', '127.0.0.1')
    .option('--db-filename <path>', 'SQLite file that keeps state across restarts (default: in memory)')
    .option('--namespace <name>', 'namespace to create besides default (repeatable)', collect, [] as string[])
    .addOption(logLevelOption().default('warn'))
    .addOption(
      new Option('--metrics-port <port>', 'serve Prometheus metrics on GET /metrics').argParser(parsePort),
    )
    .addOption(httpPortOption())
    .addOption(uiPortOption())
    .option('--headless', 'do not serve the web UI')
    .addOption(tlsCertOption())
    .addOption(tlsKeyOption())
    .addOption(tlsClientCaOption())
    .action(async (opts: StartDevFlags) => {
      const started = performance.now();
      const dbUrl = opts.dbFilename ? `sqlite:${opts.dbFilename}` : 'sqlite::memory:';
      let running: Awaited<ReturnType<typeof import('@odin/server').startDevServer>>;
      try {
        const { startDevServer } = await import('@odin/server');
        running = await startDevServer({
          port: opts.port,
          ip: opts.ip,
          dbUrl,
          namespaces: opts.namespace,
          ...(opts.logLevel === undefined ? {} : { logLevel: opts.logLevel as LogLevel }),
          ...(opts.metricsPort === undefined ? {} : { metricsPort: opts.metricsPort }),
          httpApi: true,
          ...(opts.httpPort === undefined ? {} : { httpPort: opts.httpPort }),
          webUi: !opts.headless,
          ...(opts.uiPort === undefined ? {} : { uiPort: opts.uiPort }),
          tls: {
            ...(opts.tlsCert === undefined ? {} : { certFile: opts.tlsCert }),
            ...(opts.tlsKey === undefined ? {} : { keyFile: opts.tlsKey }),
            ...(opts.tlsClientCa === undefined ? {} : { clientCaFile: opts.tlsClientCa }),
          },
        });
      } catch (error) {
        return fail(io, error);
      }
      const ms = Math.round(performance.now() - started);
      // One write, so whoever waits for the banner sees all of it at once.
      const lines = [
        `Odin dev server listening on ${running.address} (gRPC, Temporal API) in ${ms} ms`,
        `  transport:  ${transportLabel(running.ctx.config)}`,
        `  database:   ${opts.dbFilename ? opts.dbFilename : 'in memory (state is lost on exit)'}`,
        `  namespaces: ${['default', ...opts.namespace.filter((n) => n !== 'default')].join(', ')}`,
      ];
      if (running.httpPort !== undefined) lines.push(`  HTTP API:   http://${opts.ip}:${running.httpPort}`);
      if (running.uiPort !== undefined) lines.push(`  web UI:     http://${opts.ip}:${running.uiPort}`);
      if (running.metricsPort !== undefined) {
        lines.push(`  metrics:    http://${opts.ip}:${running.metricsPort}/metrics`);
      }
      io.out(`${lines.join('\n')}\n`);
      stopOnSignals(running, io);
    });

  server
    .command('start')
    .description(
      'run on PostgreSQL or MySQL from HUGO_ORCHESTRATOR_DB_CONNECTION: every role (--service all), or the named ' +
        'roles as one process of a cluster',
    )
    .addOption(
      new Option(
        '--port <port>',
        'gRPC frontend port (default HUGO_ORCHESTRATOR_FRONTEND_PORT or 7233)',
      ).argParser(parsePort),
    )
    .option('--ip <address>', 'address to listen on (default HUGO_ORCHESTRATOR_BIND_IP or 127.0.0.1)')
    .addOption(logLevelOption())
    .addOption(
      new Option(
        '--service <roles>',
        `roles to run in this process: all, or a comma-separated list of ${SERVICE_ROLES.join(', ')} (repeatable)`,
      ).argParser(parseServices),
    )
    .addOption(httpPortOption())
    .option('--ui', 'also serve the web UI (a process that runs the frontend role)')
    .addOption(uiPortOption())
    .addOption(tlsCertOption())
    .addOption(tlsKeyOption())
    .addOption(tlsClientCaOption())
    .action(async (opts: StartFlags) => {
      try {
        const services = opts.service ?? 'all';
        checkFrontendFlags(opts, services);
        const [{ loadConfig }, { connectionUrlFromEnv, redactConnectionUrl }, { startServer }] =
          await Promise.all([import('@odin/runtime'), import('@odin/persistence'), import('@odin/server')]);
        const config = loadConfig(io.env, {
          ...(opts.port === undefined ? {} : { frontendPort: opts.port }),
          ...(opts.httpPort === undefined ? {} : { httpPort: opts.httpPort }),
          ...(opts.uiPort === undefined ? {} : { uiPort: opts.uiPort }),
          ...(opts.ip === undefined ? {} : { bindIp: opts.ip }),
          ...(opts.logLevel === undefined ? {} : { logLevel: opts.logLevel as LogLevel }),
          ...tlsOverrides(opts),
        });
        const dbUrl = config.dbConnection ?? connectionUrlFromEnv(io.env);
        const running = await startServer({
          config,
          dbUrl,
          services: services === 'all' ? 'all' : new Set(services),
          // Wherever the frontend runs: its HTTP API always, the UI when asked.
          httpApi: true,
          webUi: opts.ui === true || opts.uiPort !== undefined,
        });
        const database = redactConnectionUrl(dbUrl);
        if (services === 'all') {
          const http = [
            running.httpPort === undefined ? '' : `, HTTP API on port ${running.httpPort}`,
            running.uiPort === undefined ? '' : `, web UI on port ${running.uiPort}`,
          ].join('');
          io.out(
            `Odin server listening on ${running.address}${http} (${transportLabel(config)}, database ${database})\n`,
          );
        } else {
          const parts = [
            running.address ? `frontend ${running.address}` : undefined,
            running.httpPort === undefined ? undefined : `HTTP API on port ${running.httpPort}`,
            running.uiPort === undefined ? undefined : `web UI on port ${running.uiPort}`,
            running.historyAddress ? `history ${running.historyAddress}` : undefined,
            running.matchingAddress ? `matching ${running.matchingAddress}` : undefined,
            services.includes('worker') ? 'worker' : undefined,
          ].filter(Boolean);
          io.out(
            `Odin cluster host ${running.ctx.hostId} serving ${parts.join(', ')} (database ${database})\n`,
          );
        }
        stopOnSignals(running, io);
      } catch (error) {
        await fail(io, error);
      }
    });

  program
    .command('db')
    .description('database administration')
    .command('migrate')
    .description('apply pending schema migrations to HUGO_ORCHESTRATOR_DB_CONNECTION (or --db)')
    .option('--db <url>', 'database URL instead of HUGO_ORCHESTRATOR_DB_CONNECTION')
    .action(async (opts: { db?: string }) => {
      try {
        const { connectionUrlFromEnv, migrateDatabase, redactConnectionUrl } = await import(
          '@odin/persistence'
        );
        const url = opts.db ?? connectionUrlFromEnv(io.env);
        const outcome = await migrateDatabase(url);
        const what =
          outcome.applied.length === 0 ? 'already up to date' : `applied ${outcome.applied.join(', ')}`;
        io.out(`schema of ${redactConnectionUrl(url)}: version ${outcome.from} -> ${outcome.to} (${what})\n`);
      } catch (error) {
        await fail(io, error);
      }
    });
}

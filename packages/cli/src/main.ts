#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  connectionUrlFromEnv,
  migrateDatabase,
  PersistenceError,
  redactConnectionUrl,
} from '@odin/persistence';
import { ConfigError, LOG_LEVELS, type LogLevel, loadConfig } from '@odin/runtime';
import { registerClientCommands } from './commands/index.js';
import { startDevServer } from './dev-server.js';
import { SERVICE_ROLES, type ServiceRole, startClusterServer } from './cluster-server.js';
import { startServer } from './server.js';

/** How long a SIGINT/SIGTERM waits for a clean stop before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidArgumentError('must be a whole number between 0 and 65535.');
  }
  return port;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** `--service history,matching` or repeated `--service`; `all` (the default) is every role in one process. */
function parseServices(value: string, previous: ServiceRole[] | 'all' | undefined): ServiceRole[] | 'all' {
  const roles: ServiceRole[] = previous === undefined || previous === 'all' ? [] : [...previous];
  for (const part of value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (part === 'all') return 'all';
    if (!(SERVICE_ROLES as readonly string[]).includes(part)) {
      throw new InvalidArgumentError(
        `unknown service "${part}"; use all or any of ${SERVICE_ROLES.join(', ')}.`,
      );
    }
    if (!roles.includes(part as ServiceRole)) roles.push(part as ServiceRole);
  }
  if (roles.length === 0)
    throw new InvalidArgumentError(`name at least one of all, ${SERVICE_ROLES.join(', ')}.`);
  return roles;
}

const logLevelOption = () =>
  new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as unknown as string[]);

/** Stops the server once on the first SIGINT/SIGTERM; a second signal or the timeout exits at once. */
function stopOnSignals(server: { stop(): Promise<void> }): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    console.error(`${signal} received: stopping (at most ${SHUTDOWN_TIMEOUT_MS / 1000} s)`);
    const forced = setTimeout(() => {
      console.error('shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    forced.unref();
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('shutdown failed:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

function fail(error: unknown): never {
  if (error instanceof ConfigError || error instanceof PersistenceError) console.error(error.message);
  else console.error(error);
  process.exit(1);
}

const program = new Command()
  .name('hugo-orchestrator')
  .description('Odin, the Hugo Durable Orchestrator: a Temporal-compatible workflow server')
  .version('0.1.0');

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
  .addOption(
    new Option('--http-port <port>', 'HTTP API port (default HUGO_ORCHESTRATOR_HTTP_PORT or 7243)').argParser(
      parsePort,
    ),
  )
  .addOption(
    new Option('--ui-port <port>', 'web UI port (default HUGO_ORCHESTRATOR_UI_PORT or 8233)').argParser(
      parsePort,
    ),
  )
  .option('--headless', 'do not serve the web UI')
  .action(
    async (opts: {
      port: number;
      ip: string;
      dbFilename?: string;
      namespace: string[];
      logLevel: LogLevel;
      metricsPort?: number;
      httpPort?: number;
      uiPort?: number;
      headless?: boolean;
    }) => {
      const started = performance.now();
      const dbUrl = opts.dbFilename ? `sqlite:${opts.dbFilename}` : 'sqlite::memory:';
      const running = await startDevServer({
        port: opts.port,
        ip: opts.ip,
        dbUrl,
        namespaces: opts.namespace,
        logLevel: opts.logLevel,
        ...(opts.metricsPort === undefined ? {} : { metricsPort: opts.metricsPort }),
        httpApi: true,
        ...(opts.httpPort === undefined ? {} : { httpPort: opts.httpPort }),
        webUi: !opts.headless,
        ...(opts.uiPort === undefined ? {} : { uiPort: opts.uiPort }),
      }).catch(fail);
      const ms = Math.round(performance.now() - started);
      // One write, so whoever waits for the banner sees all of it at once.
      const lines = [
        `Odin dev server listening on ${running.address} (gRPC, Temporal API) in ${ms} ms`,
        `  database:   ${opts.dbFilename ? opts.dbFilename : 'in memory (state is lost on exit)'}`,
        `  namespaces: ${['default', ...opts.namespace.filter((n) => n !== 'default')].join(', ')}`,
      ];
      if (running.httpPort !== undefined) lines.push(`  HTTP API:   http://${opts.ip}:${running.httpPort}`);
      if (running.uiPort !== undefined) lines.push(`  web UI:     http://${opts.ip}:${running.uiPort}`);
      if (running.metricsPort !== undefined) {
        lines.push(`  metrics:    http://${opts.ip}:${running.metricsPort}/metrics`);
      }
      console.log(lines.join('\n'));
      stopOnSignals(running);
    },
  );

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
  .addOption(
    new Option('--http-port <port>', 'HTTP API port (default HUGO_ORCHESTRATOR_HTTP_PORT or 7243)').argParser(
      parsePort,
    ),
  )
  .option('--ui', 'also serve the web UI (with --service all)')
  .addOption(
    new Option('--ui-port <port>', 'web UI port (default HUGO_ORCHESTRATOR_UI_PORT or 8233)').argParser(
      parsePort,
    ),
  )
  .action(
    async (opts: {
      port?: number;
      ip?: string;
      logLevel?: LogLevel;
      service?: ServiceRole[] | 'all';
      httpPort?: number;
      ui?: boolean;
      uiPort?: number;
    }) => {
      try {
        const config = loadConfig(process.env, {
          ...(opts.httpPort === undefined ? {} : { httpPort: opts.httpPort }),
          ...(opts.uiPort === undefined ? {} : { uiPort: opts.uiPort }),
          ...(opts.port === undefined ? {} : { frontendPort: opts.port }),
          ...(opts.ip === undefined ? {} : { bindIp: opts.ip }),
          ...(opts.logLevel === undefined ? {} : { logLevel: opts.logLevel }),
        });
        const dbUrl = config.dbConnection ?? connectionUrlFromEnv();
        const services = opts.service ?? 'all';
        if (services === 'all') {
          const running = await startServer({
            config,
            dbUrl,
            migrate: false,
            namespaces: [],
            httpApi: true,
            webUi: opts.ui === true || opts.uiPort !== undefined,
          });
          const http = [
            running.httpPort === undefined ? '' : `, HTTP API on port ${running.httpPort}`,
            running.uiPort === undefined ? '' : `, web UI on port ${running.uiPort}`,
          ].join('');
          console.log(
            `Odin server listening on ${running.address}${http} (database ${redactConnectionUrl(dbUrl)})`,
          );
          stopOnSignals(running);
          return;
        }
        const running = await startClusterServer({ config, dbUrl, services: new Set(services) });
        const parts = [
          running.address ? `frontend ${running.address}` : undefined,
          running.historyAddress ? `history ${running.historyAddress}` : undefined,
          running.matchingAddress ? `matching ${running.matchingAddress}` : undefined,
          services.includes('worker') ? 'worker' : undefined,
        ].filter(Boolean);
        console.log(
          `Odin cluster host ${running.ctx.hostId} serving ${parts.join(', ')} (database ${redactConnectionUrl(dbUrl)})`,
        );
        stopOnSignals(running);
      } catch (error) {
        fail(error);
      }
    },
  );

program
  .command('db')
  .description('database administration')
  .command('migrate')
  .description('apply pending schema migrations to HUGO_ORCHESTRATOR_DB_CONNECTION (or --db)')
  .option('--db <url>', 'database URL instead of HUGO_ORCHESTRATOR_DB_CONNECTION')
  .action(async (opts: { db?: string }) => {
    try {
      const url = opts.db ?? connectionUrlFromEnv();
      const outcome = await migrateDatabase(url);
      const what =
        outcome.applied.length === 0 ? 'already up to date' : `applied ${outcome.applied.join(', ')}`;
      console.log(
        `schema of ${redactConnectionUrl(url)}: version ${outcome.from} -> ${outcome.to} (${what})`,
      );
    } catch (error) {
      fail(error);
    }
  });

registerClientCommands(program);

await program.parseAsync(process.argv);

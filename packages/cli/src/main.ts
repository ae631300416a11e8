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
import { type RunningServer, startServer } from './server.js';

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

const logLevelOption = () =>
  new Option('--log-level <level>', 'log level').choices(LOG_LEVELS as unknown as string[]);

/** Stops the server once on the first SIGINT/SIGTERM; a second signal or the timeout exits at once. */
function stopOnSignals(server: RunningServer): void {
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
  .action(
    async (opts: {
      port: number;
      ip: string;
      dbFilename?: string;
      namespace: string[];
      logLevel: LogLevel;
      metricsPort?: number;
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
      }).catch(fail);
      const ms = Math.round(performance.now() - started);
      // One write, so whoever waits for the banner sees all of it at once.
      const lines = [
        `Odin dev server listening on ${running.address} (gRPC, Temporal API) in ${ms} ms`,
        `  database:   ${opts.dbFilename ? opts.dbFilename : 'in memory (state is lost on exit)'}`,
        `  namespaces: ${['default', ...opts.namespace.filter((n) => n !== 'default')].join(', ')}`,
      ];
      if (running.metricsPort !== undefined) {
        lines.push(`  metrics:    http://${opts.ip}:${running.metricsPort}/metrics`);
      }
      console.log(lines.join('\n'));
      stopOnSignals(running);
    },
  );

server
  .command('start')
  .description('every role in one process on PostgreSQL or MySQL from HUGO_ORCHESTRATOR_DB_CONNECTION')
  .addOption(
    new Option(
      '--port <port>',
      'gRPC frontend port (default HUGO_ORCHESTRATOR_FRONTEND_PORT or 7233)',
    ).argParser(parsePort),
  )
  .option('--ip <address>', 'address to listen on (default HUGO_ORCHESTRATOR_BIND_IP or 127.0.0.1)')
  .addOption(logLevelOption())
  .addOption(new Option('--service <role>', 'roles to run in this process').choices(['all']).default('all'))
  .action(async (opts: { port?: number; ip?: string; logLevel?: LogLevel }) => {
    try {
      const config = loadConfig(process.env, {
        ...(opts.port === undefined ? {} : { frontendPort: opts.port }),
        ...(opts.ip === undefined ? {} : { bindIp: opts.ip }),
        ...(opts.logLevel === undefined ? {} : { logLevel: opts.logLevel }),
      });
      const dbUrl = config.dbConnection ?? connectionUrlFromEnv();
      const running = await startServer({ config, dbUrl, migrate: false, namespaces: [] });
      console.log(`Odin server listening on ${running.address} (database ${redactConnectionUrl(dbUrl)})`);
      stopOnSignals(running);
    } catch (error) {
      fail(error);
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

import { pino } from 'pino';
import type { Logger as PinoLogger, DestinationStream } from 'pino';
import type { Clock } from '@odin/hugo';
import type { LogLevel } from './config.js';

export type Logger = PinoLogger;

/** The structured fields every log line about a workflow carries (snake_case, as docs/architecture.md lists them). */
export interface LogContext {
  namespace?: string;
  workflowId?: string;
  runId?: string;
  activityId?: string;
  workerIdentity?: string;
  correlationId?: string;
  /** The OpenTelemetry trace the line belongs to (while traces are exported), to find its spans. */
  traceId?: string;
  /** Which part of the server wrote the line (frontend, history, matching, …). */
  component?: string;
}

const FIELD_NAMES: Readonly<Record<keyof LogContext, string>> = {
  namespace: 'namespace',
  workflowId: 'workflow_id',
  runId: 'run_id',
  activityId: 'activity_id',
  workerIdentity: 'worker_identity',
  correlationId: 'correlation_id',
  traceId: 'trace_id',
  component: 'component',
};

/** Turns a LogContext into the snake_case fields of a log line, leaving out what is unset. */
export function logFields(context: LogContext): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(context)) {
    const name = FIELD_NAMES[key as keyof LogContext];
    if (name !== undefined && value !== undefined && value !== '') fields[name] = value;
  }
  return fields;
}

/** A child logger that adds the context's fields to every line. */
export function withLogContext(logger: Logger, context: LogContext): Logger {
  return logger.child(logFields(context));
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Timestamps come from here so virtual-time tests log virtual time. */
  clock?: Clock;
  /** Defaults to stdout. */
  destination?: DestinationStream;
  /** Fields on every line (e.g. host_id). */
  base?: Record<string, unknown>;
}

/** A JSON logger (pino) with ISO timestamps from the injected clock. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const clock = options.clock;
  const timestamp = clock
    ? () => `,"time":"${new Date(clock.now()).toISOString()}"`
    : pino.stdTimeFunctions.isoTime;
  const pinoOptions = {
    level: options.level ?? 'info',
    base: options.base ?? {},
    timestamp,
    messageKey: 'msg',
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

/** A logger that writes nothing (tests). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

import { z } from 'zod';
import { AUTH_ENV_SUFFIX, authProblems, authShape } from './auth-config.js';

/** Log levels pino understands, plus `silent` for tests. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const ENV_PREFIX = 'HUGO_ORCHESTRATOR_';

const port = z.coerce
  .number()
  .int('must be a whole number')
  .min(0, 'must be between 0 and 65535')
  .max(65535, 'must be between 0 and 65535');

const optionalUrl = z.url('must be a URL such as http://localhost:4317').optional();

/**
 * The process configuration. Every field is read from one `HUGO_ORCHESTRATOR_*` environment variable (the name is
 * given next to it); command-line flags override what they name.
 */
export const configSchema = z
  .object({
    /** DB_CONNECTION: postgres://…, mysql://…, sqlite:/path/file.db, sqlite::memory:. */
    dbConnection: z.string().min(1, 'must not be empty').optional(),
    /** DB_POOL_SIZE: database connections per process (PostgreSQL / MySQL); mind the server's connection limit. */
    dbPoolSize: z.coerce
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(1000, 'must be at most 1000')
      .default(20),
    /** SHARD_COUNT: history shards, fixed when the cluster is created. */
    shardCount: z.coerce
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(65536, 'must be at most 65536')
      .default(512),
    /** HISTORY_RETENTION_DAYS: how long closed runs are kept by default. */
    historyRetentionDays: z.coerce
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1 day')
      .default(30),
    /** OTLP_ENDPOINT: where traces go; unset = no exporter. */
    otlpEndpoint: optionalUrl,
    /** ELASTICSEARCH_URL: advanced visibility; unset = SQL visibility. */
    elasticsearchUrl: optionalUrl,
    /** FRONTEND_PORT: the gRPC WorkflowService port (Temporal's 7233). 0 picks a free port. */
    frontendPort: port.default(7233),
    /** BIND_IP: the address every listener binds. */
    bindIp: z.string().min(1, 'must not be empty').default('127.0.0.1'),
    /** METRICS_PORT: Prometheus /metrics; 0 disables the listener. */
    metricsPort: port.default(0),
    /** LOG_LEVEL. */
    logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
    /** HOST_ID: this process's identity in shard leases and membership; generated when unset. */
    hostId: z.string().min(1, 'must not be empty').optional(),
    /** HISTORY_PORT: the internal gRPC port of the history role in a cluster (Temporal's 7234). 0 picks a free port. */
    historyPort: port.default(7234),
    /** MATCHING_PORT: the internal gRPC port of the matching role in a cluster (Temporal's 7235). 0 picks a free port. */
    matchingPort: port.default(7235),
    /** BROADCAST_ADDRESS: the address peers dial to reach this process's roles; default BIND_IP. */
    broadcastAddress: z.string().min(1, 'must not be empty').optional(),
    /** MEMBERSHIP_HEARTBEAT_INTERVAL_MS: how often a cluster process heartbeats and re-reads cluster_membership. */
    membershipHeartbeatIntervalMs: z.coerce
      .number()
      .int('must be a whole number')
      .min(50, 'must be at least 50 ms')
      .default(1_000),
    /**
     * MEMBERSHIP_TTL_MS: a host whose last heartbeat is older leaves the ring and its shards and task queues move;
     * it is also the longest a paused host's shards stay unserved.
     */
    membershipTtlMs: z.coerce
      .number()
      .int('must be a whole number')
      .min(200, 'must be at least 200 ms')
      .default(10_000),
    /** EAGER_ACTIVITY_EXECUTION: hand activities a worker asks to run itself back in its workflow task completion. */
    eagerActivityExecution: z
      .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
      .default('true')
      .transform((v) => v === 'true' || v === '1'),
    /** EAGER_WORKFLOW_START: a start that asks for it gets the run's first workflow task in its response. */
    eagerWorkflowStart: z
      .enum(['true', 'false', '1', '0'], { error: 'must be true or false' })
      .default('true')
      .transform((v) => v === 'true' || v === '1'),
    ...authShape,
  })
  .superRefine((c, ctx) => {
    for (const problem of authProblems(c))
      ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
  })
  .refine((c) => c.membershipTtlMs >= 2 * c.membershipHeartbeatIntervalMs, {
    // One late heartbeat must not take a host out of the ring.
    message: 'must be at least twice HUGO_ORCHESTRATOR_MEMBERSHIP_HEARTBEAT_INTERVAL_MS',
    path: ['membershipTtlMs'],
  });

export type OdinConfig = z.infer<typeof configSchema>;
export type OdinConfigInput = z.input<typeof configSchema>;

/** Field name → environment variable name. */
export const CONFIG_ENV: Readonly<Record<keyof OdinConfig, string>> = {
  dbConnection: `${ENV_PREFIX}DB_CONNECTION`,
  dbPoolSize: `${ENV_PREFIX}DB_POOL_SIZE`,
  shardCount: `${ENV_PREFIX}SHARD_COUNT`,
  historyRetentionDays: `${ENV_PREFIX}HISTORY_RETENTION_DAYS`,
  otlpEndpoint: `${ENV_PREFIX}OTLP_ENDPOINT`,
  elasticsearchUrl: `${ENV_PREFIX}ELASTICSEARCH_URL`,
  frontendPort: `${ENV_PREFIX}FRONTEND_PORT`,
  bindIp: `${ENV_PREFIX}BIND_IP`,
  metricsPort: `${ENV_PREFIX}METRICS_PORT`,
  logLevel: `${ENV_PREFIX}LOG_LEVEL`,
  hostId: `${ENV_PREFIX}HOST_ID`,
  historyPort: `${ENV_PREFIX}HISTORY_PORT`,
  matchingPort: `${ENV_PREFIX}MATCHING_PORT`,
  broadcastAddress: `${ENV_PREFIX}BROADCAST_ADDRESS`,
  membershipHeartbeatIntervalMs: `${ENV_PREFIX}MEMBERSHIP_HEARTBEAT_INTERVAL_MS`,
  membershipTtlMs: `${ENV_PREFIX}MEMBERSHIP_TTL_MS`,
  eagerActivityExecution: `${ENV_PREFIX}EAGER_ACTIVITY_EXECUTION`,
  eagerWorkflowStart: `${ENV_PREFIX}EAGER_WORKFLOW_START`,
  ...prefixed(AUTH_ENV_SUFFIX),
};

function prefixed<K extends string>(suffixes: Readonly<Record<K, string>>): Record<K, string> {
  const out = {} as Record<K, string>;
  for (const [field, suffix] of Object.entries(suffixes) as [K, string][])
    out[field] = `${ENV_PREFIX}${suffix}`;
  return out;
}

/** Configuration that cannot start a process; the message names every bad variable and what it must be. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads the configuration from `env` (default: process.env), then applies `overrides` (command-line flags).
 * Empty variables count as unset. Throws ConfigError listing every problem at once.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
  overrides: Partial<OdinConfigInput> = {},
): OdinConfig {
  const raw: Record<string, unknown> = {};
  for (const [field, variable] of Object.entries(CONFIG_ENV)) {
    const value = env[variable];
    if (value !== undefined && value.trim() !== '') raw[field] = value.trim();
  }
  for (const [field, value] of Object.entries(overrides)) {
    if (value !== undefined) raw[field] = value;
  }
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const field = String(issue.path[0] ?? '');
    const variable = CONFIG_ENV[field as keyof OdinConfig] ?? field;
    const given = raw[field];
    return `${variable}${given === undefined ? '' : `=${JSON.stringify(given)}`}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}

import { parseDuration } from '@odin/hugo';
import { z } from 'zod';
import { AUTH_ENV_SUFFIX, authProblems, authShape } from './auth-config.js';
import { ENCRYPTION_ENV_SUFFIX, encryptionProblems, encryptionShape } from './encryption-config.js';

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

const optionalPath = z.string().min(1, 'must not be empty').optional();

/** A count or a size in bytes: a whole number, at least `min`. */
const wholeAtLeast = (min: number) =>
  z.coerce.number().int('must be a whole number').min(min, `must be at least ${min}`);

/** A duration in the project's grammar ("30s", "1m", "1h30m"; a bare number is milliseconds), as milliseconds. */
const durationMsSchema = z.union([z.number(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const parsed = parseDuration(value);
  if (parsed.ok) return parsed.value;
  ctx.addIssue({ code: 'custom', message: 'must be a duration such as 500ms, 30s or 1m' });
  return z.NEVER;
});

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
    /** OTLP_ENDPOINT: the OTLP/HTTP collector traces go to; unset = no exporter (and no SDK loaded). */
    otlpEndpoint: z
      .url({
        protocol: /^https?$/,
        error: 'must be a URL such as http://localhost:4318 (OTLP over HTTP: http:// or https://)',
      })
      .optional(),
    /** ELASTICSEARCH_URL: advanced visibility; unset = SQL visibility. */
    elasticsearchUrl: optionalUrl,
    /** FRONTEND_PORT: the gRPC WorkflowService port (Temporal's 7233). 0 picks a free port. */
    frontendPort: port.default(7233),
    /** BIND_IP: the address every listener binds. */
    bindIp: z.string().min(1, 'must not be empty').default('127.0.0.1'),
    /** METRICS_PORT: Prometheus /metrics; 0 disables the listener. */
    metricsPort: port.default(0),
    /** HTTP_PORT: Temporal's HTTP API (the REST facade of the frontend; Temporal's 7243). 0 picks a free port. */
    httpPort: port.default(7243),
    /** UI_PORT: the web UI (Temporal's 8233). 0 picks a free port. */
    uiPort: port.default(8233),
    /** HTTP_CORS_ORIGINS: comma-separated origins allowed to call the HTTP API from a browser (`*` = any); unset = none. */
    httpCorsOrigins: z
      .string()
      .default('')
      .transform((v) =>
        v
          .split(',')
          .map((origin) => origin.trim())
          .filter((origin) => origin !== ''),
      ),
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
    /** TLS_CERT: PEM certificate chain of the client-facing listeners (gRPC frontend, HTTP API, web UI). */
    tlsCert: optionalPath,
    /** TLS_KEY: PEM private key of TLS_CERT. */
    tlsKey: optionalPath,
    /** TLS_CLIENT_CA: PEM CA bundle; set, every client of those listeners must present a certificate it signed. */
    tlsClientCa: optionalPath,
    /** INTERNAL_TLS_CERT: PEM certificate of this process on the internal ports (server and client of its peers). */
    internalTlsCert: optionalPath,
    /** INTERNAL_TLS_KEY: PEM private key of INTERNAL_TLS_CERT. */
    internalTlsKey: optionalPath,
    /** INTERNAL_TLS_CA: PEM CA bundle every internal peer's certificate must chain to. */
    internalTlsCa: optionalPath,
    /** INTERNAL_TLS_SERVER_NAME: the DNS name every internal peer's certificate must be valid for. */
    internalTlsServerName: z
      .string()
      .regex(/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/, {
        message: 'must be a DNS name such as odin-internal or history.odin.svc',
      })
      .optional(),
    /** TLS_REFRESH_INTERVAL: how often the TLS files are checked for a rotation. */
    tlsRefreshIntervalMs: durationMsSchema
      .pipe(z.number().int('must be whole milliseconds').min(10, 'must be at least 10ms'))
      .default(30_000),
    // Limits (docs/security.md, "Limits"); Temporal's defaults where Temporal has the limit.
    /** HISTORY_COUNT_SUGGEST_CONTINUE_AS_NEW: from this many events WorkflowTaskStarted suggests continue-as-new. */
    historyCountSuggestContinueAsNew: wholeAtLeast(1).default(4_096),
    /** HISTORY_SIZE_SUGGEST_CONTINUE_AS_NEW: from this many bytes of history, likewise. */
    historySizeSuggestContinueAsNew: wholeAtLeast(1).default(4 * 1024 * 1024),
    /** HISTORY_COUNT_LIMIT_WARN: past this many events a warning is logged. */
    historyCountLimitWarn: wholeAtLeast(1).default(10_240),
    /** HISTORY_SIZE_LIMIT_WARN: past this many bytes of history a warning is logged. */
    historySizeLimitWarn: wholeAtLeast(1).default(10 * 1024 * 1024),
    /** HISTORY_COUNT_LIMIT_ERROR: a running workflow whose history would pass this many events is terminated. */
    historyCountLimitError: wholeAtLeast(10).default(51_200),
    /** HISTORY_SIZE_LIMIT_ERROR: likewise for bytes of history. */
    historySizeLimitError: wholeAtLeast(1024).default(50 * 1024 * 1024),
    /** MUTABLE_STATE_SIZE_LIMIT_ERROR: a running workflow whose stored state is over this many bytes is terminated. */
    mutableStateSizeLimitError: wholeAtLeast(1024).default(8 * 1024 * 1024),
    /** BLOB_SIZE_LIMIT_WARN: a command payload past this many bytes is logged. */
    blobSizeLimitWarn: wholeAtLeast(1).default(512 * 1024),
    /** BLOB_SIZE_LIMIT_ERROR: a workflow task completion with a command payload past this terminates the workflow. */
    blobSizeLimitError: wholeAtLeast(1).default(2 * 1024 * 1024),
    /** MAX_REQUEST_BYTES: largest request message (gRPC receive limit of every port, HTTP API body limit). */
    maxRequestBytes: wholeAtLeast(1024).default(4 * 1024 * 1024),
    /** HISTORY_PAGE_MAX_BYTES: encoded events per history page / poll response at most (one event always goes). */
    historyPageMaxBytes: wholeAtLeast(1024).default(2 * 1024 * 1024),
    /** HISTORY_CACHE_MAX_RUNS: runs history keeps in memory per process (its run cache), split over its shards. */
    historyCacheMaxRuns: wholeAtLeast(1).default(4096),
    /** HISTORY_CACHE_MAX_BYTES: estimated bytes of those runs (state and history) per process at most. */
    historyCacheMaxBytes: wholeAtLeast(1024 * 1024).default(64 * 1024 * 1024),
    /**
     * NAMESPACE_RPS: requests per second a namespace may make of one frontend (0 = no limit). Above Temporal's 2,400:
     * a workflow costs about eight calls, and one frontend is meant to carry 700 workflows a second.
     */
    namespaceRps: wholeAtLeast(0).default(10_000),
    /** NAMESPACE_BURST: requests above the rate a namespace may make at once; default NAMESPACE_RPS. */
    namespaceBurst: wholeAtLeast(1).optional(),
    /** MAX_LONG_POLLS_PER_NAMESPACE: concurrent task-queue polls of a namespace on one frontend (0 = no limit). */
    maxLongPollsPerNamespace: wholeAtLeast(0).default(1_200),
    /**
     * MAX_CONCURRENT_BATCH_OPERATIONS: batch jobs a namespace may have running at once (0 = no limit); Temporal's
     * frontend.MaxConcurrentBatchOperationPerNamespace, default 1.
     */
    maxConcurrentBatchOperations: wholeAtLeast(0).default(1),
    /**
     * BATCH_OPERATIONS_PER_SECOND: operations one batch job makes a second at most; a job's own
     * max_operations_per_second applies when it is lower. Temporal's worker.batcherRPS, default 50.
     */
    batchOperationsPerSecond: wholeAtLeast(1).default(50),
    /** MAX_LONG_POLLS: concurrent long polls on one frontend (0 = no limit). */
    maxLongPolls: wholeAtLeast(0).default(10_000),
    /** MAX_CONNECTIONS: open connections of the gRPC frontend port; more are closed at once (0 = no limit). */
    maxConnections: wholeAtLeast(0).default(10_000),
    /** CONNECTION_IDLE_TIMEOUT: a gRPC connection without a call for this long is closed (GOAWAY). */
    connectionIdleTimeoutMs: durationMsSchema
      .pipe(z.number().int('must be whole milliseconds').min(100, 'must be at least 100ms'))
      .default(120_000),
    ...authShape,
    ...encryptionShape,
  })
  .superRefine((c, ctx) => {
    for (const problem of authProblems(c))
      ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
    for (const problem of encryptionProblems(c))
      ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
  })
  .superRefine((c, ctx) => {
    const atMost = (small: keyof typeof c, large: keyof typeof c) => {
      if ((c[small] as number) > (c[large] as number))
        ctx.addIssue({
          code: 'custom',
          path: [small],
          message: `must not be larger than ${CONFIG_ENV[large]} (${c[large]})`,
        });
    };
    atMost('historyCountSuggestContinueAsNew', 'historyCountLimitError');
    atMost('historySizeSuggestContinueAsNew', 'historySizeLimitError');
    atMost('historyCountLimitWarn', 'historyCountLimitError');
    atMost('historySizeLimitWarn', 'historySizeLimitError');
    atMost('blobSizeLimitWarn', 'blobSizeLimitError');
    // A payload the blob limit lets through must fit in a request.
    atMost('blobSizeLimitError', 'maxRequestBytes');
  })
  .refine((c) => c.membershipTtlMs >= 2 * c.membershipHeartbeatIntervalMs, {
    // One late heartbeat must not take a host out of the ring.
    message: 'must be at least twice HUGO_ORCHESTRATOR_MEMBERSHIP_HEARTBEAT_INTERVAL_MS',
    path: ['membershipTtlMs'],
  })
  .superRefine((c, ctx) => {
    const problem = (field: keyof typeof c, message: string) =>
      ctx.addIssue({ code: 'custom', message, path: [field] });
    if (c.tlsCert !== undefined && c.tlsKey === undefined)
      problem('tlsKey', `must be set with ${ENV_PREFIX}TLS_CERT (the certificate's private key)`);
    if (c.tlsKey !== undefined && c.tlsCert === undefined)
      problem('tlsCert', `must be set with ${ENV_PREFIX}TLS_KEY (the key's certificate)`);
    if (c.tlsClientCa !== undefined && c.tlsCert === undefined)
      problem(
        'tlsCert',
        `must be set with ${ENV_PREFIX}TLS_CLIENT_CA: client certificates need a TLS listener`,
      );
    const internal = [c.internalTlsCert, c.internalTlsKey, c.internalTlsCa, c.internalTlsServerName];
    if (internal.some((value) => value !== undefined)) {
      // Internal TLS is always mutual and always checks the peer's name: half of it would be a false sense of
      // security, so every piece is required together.
      const required = {
        internalTlsCert: 'the certificate this process presents to its peers',
        internalTlsKey: "that certificate's private key",
        internalTlsCa: 'the CA bundle peers are verified against',
        internalTlsServerName: 'the name every peer certificate must be valid for',
      } as const;
      for (const [field, what] of Object.entries(required) as [keyof typeof required, string][]) {
        if (c[field] === undefined)
          problem(field, `must be set when any HUGO_ORCHESTRATOR_INTERNAL_TLS_* is (${what})`);
      }
    }
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
  httpPort: `${ENV_PREFIX}HTTP_PORT`,
  uiPort: `${ENV_PREFIX}UI_PORT`,
  httpCorsOrigins: `${ENV_PREFIX}HTTP_CORS_ORIGINS`,
  logLevel: `${ENV_PREFIX}LOG_LEVEL`,
  hostId: `${ENV_PREFIX}HOST_ID`,
  historyPort: `${ENV_PREFIX}HISTORY_PORT`,
  matchingPort: `${ENV_PREFIX}MATCHING_PORT`,
  broadcastAddress: `${ENV_PREFIX}BROADCAST_ADDRESS`,
  membershipHeartbeatIntervalMs: `${ENV_PREFIX}MEMBERSHIP_HEARTBEAT_INTERVAL_MS`,
  membershipTtlMs: `${ENV_PREFIX}MEMBERSHIP_TTL_MS`,
  eagerActivityExecution: `${ENV_PREFIX}EAGER_ACTIVITY_EXECUTION`,
  eagerWorkflowStart: `${ENV_PREFIX}EAGER_WORKFLOW_START`,
  tlsCert: `${ENV_PREFIX}TLS_CERT`,
  tlsKey: `${ENV_PREFIX}TLS_KEY`,
  tlsClientCa: `${ENV_PREFIX}TLS_CLIENT_CA`,
  internalTlsCert: `${ENV_PREFIX}INTERNAL_TLS_CERT`,
  internalTlsKey: `${ENV_PREFIX}INTERNAL_TLS_KEY`,
  internalTlsCa: `${ENV_PREFIX}INTERNAL_TLS_CA`,
  internalTlsServerName: `${ENV_PREFIX}INTERNAL_TLS_SERVER_NAME`,
  tlsRefreshIntervalMs: `${ENV_PREFIX}TLS_REFRESH_INTERVAL`,
  historyCountSuggestContinueAsNew: `${ENV_PREFIX}HISTORY_COUNT_SUGGEST_CONTINUE_AS_NEW`,
  historySizeSuggestContinueAsNew: `${ENV_PREFIX}HISTORY_SIZE_SUGGEST_CONTINUE_AS_NEW`,
  historyCountLimitWarn: `${ENV_PREFIX}HISTORY_COUNT_LIMIT_WARN`,
  historySizeLimitWarn: `${ENV_PREFIX}HISTORY_SIZE_LIMIT_WARN`,
  historyCountLimitError: `${ENV_PREFIX}HISTORY_COUNT_LIMIT_ERROR`,
  historySizeLimitError: `${ENV_PREFIX}HISTORY_SIZE_LIMIT_ERROR`,
  mutableStateSizeLimitError: `${ENV_PREFIX}MUTABLE_STATE_SIZE_LIMIT_ERROR`,
  blobSizeLimitWarn: `${ENV_PREFIX}BLOB_SIZE_LIMIT_WARN`,
  blobSizeLimitError: `${ENV_PREFIX}BLOB_SIZE_LIMIT_ERROR`,
  maxRequestBytes: `${ENV_PREFIX}MAX_REQUEST_BYTES`,
  historyPageMaxBytes: `${ENV_PREFIX}HISTORY_PAGE_MAX_BYTES`,
  historyCacheMaxRuns: `${ENV_PREFIX}HISTORY_CACHE_MAX_RUNS`,
  historyCacheMaxBytes: `${ENV_PREFIX}HISTORY_CACHE_MAX_BYTES`,
  namespaceRps: `${ENV_PREFIX}NAMESPACE_RPS`,
  namespaceBurst: `${ENV_PREFIX}NAMESPACE_BURST`,
  maxLongPollsPerNamespace: `${ENV_PREFIX}MAX_LONG_POLLS_PER_NAMESPACE`,
  maxConcurrentBatchOperations: `${ENV_PREFIX}MAX_CONCURRENT_BATCH_OPERATIONS`,
  batchOperationsPerSecond: `${ENV_PREFIX}BATCH_OPERATIONS_PER_SECOND`,
  maxLongPolls: `${ENV_PREFIX}MAX_LONG_POLLS`,
  maxConnections: `${ENV_PREFIX}MAX_CONNECTIONS`,
  connectionIdleTimeoutMs: `${ENV_PREFIX}CONNECTION_IDLE_TIMEOUT`,
  ...prefixed(AUTH_ENV_SUFFIX),
  ...prefixed(ENCRYPTION_ENV_SUFFIX),
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
    // Key material is never echoed back (ENCRYPTION_KEY).
    const given = field === 'encryptionKey' ? undefined : raw[field];
    return `${variable}${given === undefined ? '' : `=${JSON.stringify(given)}`}: ${issue.message}`;
  });
  throw new ConfigError(problems);
}

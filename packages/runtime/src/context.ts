import { type Clock, SystemClock } from '@odin/hugo';
import { type Tracer, trace } from '@opentelemetry/api';
import { loadConfig, type OdinConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { OdinMetrics } from './metrics.js';
import { CryptoRandom, type RandomSource } from './random.js';

/**
 * Everything a server component needs from its surroundings, handed to its constructor (never taken from module
 * singletons): time, randomness, logs, metrics, traces, configuration and the database. A simulation builds one with
 * a VirtualClock, a SeededRandom and an in-memory store.
 *
 * `TStore` is the persistence handle; services use `RuntimeContext<PersistenceStore>` from `@odin/persistence`
 * (this package sits below persistence and cannot name it).
 */
export interface RuntimeContext<TStore = unknown> {
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly logger: Logger;
  readonly metrics: OdinMetrics;
  readonly tracer: Tracer;
  readonly config: OdinConfig;
  readonly store: TStore;
  /** This process's identity (shard leases, membership, worker identity of system workers). */
  readonly hostId: string;
}

export interface RuntimeContextOptions<TStore> {
  store: TStore;
  config?: OdinConfig;
  clock?: Clock;
  random?: RandomSource;
  logger?: Logger;
  metrics?: OdinMetrics;
  tracer?: Tracer;
  hostId?: string;
}

/** Fills every part the caller did not give with its production default. */
export function createRuntimeContext<TStore>(options: RuntimeContextOptions<TStore>): RuntimeContext<TStore> {
  const config = options.config ?? loadConfig();
  const clock = options.clock ?? new SystemClock();
  const random = options.random ?? new CryptoRandom();
  const hostId = options.hostId ?? config.hostId ?? `odin-${random.uuid().slice(0, 8)}`;
  const logger = options.logger ?? createLogger({ level: config.logLevel, clock, base: { host_id: hostId } });
  return {
    clock,
    random,
    logger,
    metrics: options.metrics ?? new OdinMetrics(),
    tracer: options.tracer ?? trace.getTracer('odin'),
    config,
    store: options.store,
    hostId,
  };
}

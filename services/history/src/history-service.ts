import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { HistoryApi, HistoryPeerApi } from '@odin/api';
import { DEFAULT_HISTORY_OPTIONS, silentLogger } from './context.js';
import type { HistoryDeps, HistoryOptions, HistoryRuntime } from './context.js';
import { HistoryEngine } from './engine.js';
import { TimerTaskExecutor } from './executors/timer-executor.js';
import { TransferTaskExecutor } from './executors/transfer-executor.js';
import { bindHandlers } from './handlers.js';
import type { HistoryEndpoint } from './handlers.js';
import { HistoryMetricsRecorder } from './metrics.js';
import { NamespaceNames } from './namespaces.js';
import { QueryRegistry } from './queries.js';
import { OwnedShards } from './shard/owned-shards.js';
import { ShardController } from './shard/shard-controller.js';
import { UpdateRegistry } from './updates.js';

const DEFAULT_SHARD_COUNT = 512;

/** The parts of a history host. */
interface HistoryHost {
  readonly options: HistoryOptions;
  readonly engine: HistoryEngine;
  readonly shards: ShardController;
  /** The handler table bound to the engine: what the service answers. */
  readonly endpoint: HistoryEndpoint;
  /** Aborted by `stop`: every outbox hand-off and peer call in flight listens on it. */
  readonly abort: AbortController;
}

/**
 * Builds a host's parts in the order each needs the ones before it, all by constructor: the shard table, the engine
 * (reads the table), the bound handlers (use the engine), the outbox executors (use the engine and, for other
 * workflows, the peers: this host's own handlers unless a cluster router is given), and last the shard controller
 * (fills the table and runs the executors).
 */
function buildHost(ctx: HistoryRuntime, deps: HistoryDeps): HistoryHost {
  const options = { ...DEFAULT_HISTORY_OPTIONS, ...deps.options };
  const { clock, store } = ctx;
  const logger = ctx.logger ?? silentLogger;
  const shardCount = deps.shardCount ?? ctx.config?.shardCount ?? DEFAULT_SHARD_COUNT;
  const hostId = deps.hostId ?? ctx.config?.hostId ?? `history-${randomUUID()}`;
  const random = ctx.random;
  const uuid = random ? () => random.uuid() : randomUUID;
  const abort = new AbortController();
  // Every outbox dispatch and peer call in flight listens on it; hundreds at once are expected, not a leak.
  setMaxListeners(0, abort.signal);
  const names = new NamespaceNames(store.namespaces);
  const metrics = new HistoryMetricsRecorder(ctx.metrics, (id) => names.name(id));
  const owned = new OwnedShards(shardCount, deps.ownership);
  const engine = new HistoryEngine({
    clock,
    store,
    matching: deps.matching,
    shards: owned,
    options,
    logger,
    metrics,
    names,
    queries: new QueryRegistry(),
    updates: new UpdateRegistry(clock, options),
    uuid,
  });
  const endpoint = bindHandlers(engine);
  const shards = new ShardController({
    store,
    clock,
    hostId,
    shards: owned,
    options,
    logger,
    metrics,
    ownership: deps.ownership,
    executors: {
      transfer: new TransferTaskExecutor(engine, deps.peers ?? endpoint, abort.signal),
      timer: new TimerTaskExecutor(engine),
    },
    onShardLeft: (shardId) => {
      engine.updates.dropShard(shardId, shardCount);
      engine.waiters.notifyAll();
    },
  });
  return { options, engine, shards, endpoint, abort };
}

/** Gives its instances the bound handlers as their own methods, so that HistoryService implements the whole table. */
const Endpoint = class {
  constructor(endpoint: HistoryEndpoint) {
    Object.assign(this, endpoint);
  }
} as new (
  endpoint: HistoryEndpoint,
) => HistoryEndpoint;

/**
 * The history role: owns shards, mutable state and the event log of every workflow run, and implements the
 * HistoryApi that frontend and matching call (in-process in dev mode), and the HistoryPeerApi other history hosts
 * call for the target side of child workflows and external signals / cancels; every call is a line of the handler
 * table (`handlers.ts`). `start` verifies the cluster's shard count, takes the shard leases and starts the outbox
 * processors; nothing is served before it resolved.
 */
export class HistoryService extends Endpoint implements HistoryApi, HistoryPeerApi {
  /** WorkflowTaskCompleted events carry the completion's sdk_metadata (the frontend may advertise the capability). */
  readonly recordsSdkMetadata = true;
  readonly engine: HistoryEngine;
  readonly shards: ShardController;
  readonly options: HistoryOptions;
  readonly #abort: AbortController;

  constructor(ctx: HistoryRuntime, deps: HistoryDeps) {
    const host = buildHost(ctx, deps);
    super(host.endpoint);
    this.engine = host.engine;
    this.shards = host.shards;
    this.options = host.options;
    this.#abort = host.abort;
  }

  async start(_signal?: AbortSignal): Promise<void> {
    await this.shards.start();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    this.engine.updates.close();
    this.engine.waiters.notifyAll();
    await this.shards.stop();
  }
}

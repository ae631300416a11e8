import type { Clock, TimerHandle } from '@odin/hugo';
import type { OutboxTask, PersistenceStore } from '@odin/persistence';
import { ServiceError } from '@odin/api';
import { RunCache } from '../cache.js';
import type { HistoryMetricsRecorder } from '../metrics.js';
import type { HistoryLogger, HistoryOptions } from '../context.js';
import { TimerProcessor } from '../queues/timer-processor.js';
import { TransferProcessor } from '../queues/transfer-processor.js';
import { HostWriteBatcher, supportsMultiShardCommit } from './host-write-batcher.js';
import { ShardContext } from './shard-context.js';

/** Everything of one owned shard: its fenced writer, its mutable-state cache and its outbox processors. */
export interface Shard {
  readonly ctx: ShardContext;
  readonly cache: RunCache;
  readonly transfer: TransferProcessor;
  readonly timers: TimerProcessor;
}

export interface ShardExecutors {
  transfer(shard: Shard, task: OutboxTask): Promise<void>;
  timer(shard: Shard, task: OutboxTask): Promise<void>;
}

export const CLUSTER_NAME = 'active';

/**
 * Owns the shards of this host. In this version one host owns every shard (dev mode and single-node deployments):
 * it verifies the cluster's shard count, acquires every lease on start (bumping range_id fences out any previous
 * owner), renews them on the clock, and drops a shard for good when its fence is lost.
 */
export class ShardController {
  readonly #shards = new Map<number, Shard>();
  #renewTimer: TimerHandle | undefined;
  #stopped = false;
  readonly #hostBatcher: HostWriteBatcher | undefined;

  constructor(
    private readonly store: PersistenceStore,
    private readonly clock: Clock,
    private readonly hostId: string,
    readonly shardCount: number,
    private readonly options: HistoryOptions,
    private readonly logger: HistoryLogger,
    private readonly executors: ShardExecutors,
    private readonly metrics: HistoryMetricsRecorder,
  ) {
    const executions = store.executions;
    const onCommit = (ms: number, code?: string) => metrics.commit(ms, code);
    this.#hostBatcher = supportsMultiShardCommit(executions)
      ? new HostWriteBatcher(executions, () => clock.now(), onCommit)
      : undefined;
  }

  /** Whether transitions of different shards share transactions (the store supports multi-shard commits). */
  get hostWideGroupCommit(): boolean {
    return this.#hostBatcher !== undefined;
  }

  async start(): Promise<void> {
    await this.store.cluster.initOrVerifyClusterMetadata({
      clusterName: CLUSTER_NAME,
      shardCount: this.shardCount,
      now: this.clock.now(),
    });
    const ids = Array.from({ length: this.shardCount }, (_, i) => i + 1);
    for (let i = 0; i < ids.length; i += 32) {
      await Promise.all(ids.slice(i, i + 32).map((id) => this.#acquire(id)));
    }
    for (const shard of this.#shards.values()) {
      shard.transfer.start();
      shard.timers.start();
    }
    this.#scheduleRenew();
  }

  async #acquire(shardId: number): Promise<void> {
    const lease = await this.store.shards.acquireShard(
      shardId,
      this.hostId,
      this.options.shardLeaseMs,
      this.clock.now(),
    );
    const ctx = new ShardContext(
      lease,
      this.store,
      (lost) => this.#drop(lost),
      this.options.shardLeaseMs,
      () => this.clock.now(),
      this.#hostBatcher,
      (ms, code) => this.metrics.commit(ms, code),
    );
    const shard: Shard = {
      ctx,
      cache: new RunCache(Math.max(16, Math.ceil(this.options.cacheSizePerHost / this.shardCount))),
      transfer: new TransferProcessor(
        shardId,
        this.store,
        this.clock,
        (task) => this.executors.transfer(shard, task),
        this.logger,
        this.options.transferScanIntervalMs,
        this.options.outboxDeleteDelayMs,
      ),
      timers: new TimerProcessor(
        shardId,
        this.store,
        this.clock,
        (task) => this.executors.timer(shard, task),
        this.logger,
        this.options.timerScanIntervalMs,
        this.options.outboxDeleteDelayMs,
      ),
    };
    this.#shards.set(shardId, shard);
    this.metrics.shardOwned(shardId, this.hostId, true);
  }

  /** The owned shard, or UNAVAILABLE. */
  get(shardId: number): Shard {
    const shard = this.#shards.get(shardId);
    if (!shard || shard.ctx.lost) {
      throw ServiceError.unavailable(`History shard ${shardId} is not owned by this host; retry shortly.`);
    }
    return shard;
  }

  has(shardId: number): boolean {
    return this.#shards.has(shardId);
  }

  all(): Shard[] {
    return [...this.#shards.values()];
  }

  #drop(ctx: ShardContext): void {
    const shard = this.#shards.get(ctx.shardId);
    if (!shard || shard.ctx !== ctx) return;
    this.logger.warn({ shardId: ctx.shardId }, 'shard ownership lost; dropping the shard');
    this.#shards.delete(ctx.shardId);
    this.metrics.shardOwned(ctx.shardId, this.hostId, false);
    shard.transfer.stop();
    shard.timers.stop();
    shard.cache.clear();
  }

  #scheduleRenew(): void {
    if (this.#stopped) return;
    this.#renewTimer = this.clock.setTimer(this.options.shardRenewIntervalMs, () => void this.#renewAll());
  }

  async #renewAll(): Promise<void> {
    const shards = this.all();
    for (let i = 0; i < shards.length; i += 32) {
      await Promise.all(
        shards.slice(i, i + 32).map((s) =>
          s.ctx.renew().catch((error: unknown) => {
            this.logger.warn({ err: error, shardId: s.ctx.shardId }, 'shard lease renewal failed');
          }),
        ),
      );
    }
    this.#scheduleRenew();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#renewTimer?.cancel();
    for (const shard of this.#shards.values()) {
      shard.transfer.stop();
      shard.timers.stop();
    }
    await Promise.all(this.all().flatMap((s) => [s.transfer.flush(), s.timers.flush()]));
  }
}

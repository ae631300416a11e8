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
import type { ShardOwnership } from './shard-ownership.js';

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

/** Shard leases are acquired this many at a time. */
const ACQUIRE_CONCURRENCY = 32;
/** Delay before a reconcile retries shards whose acquisition failed. */
const ACQUIRE_RETRY_MS = 1_000;

/**
 * Owns the shards of this host. It verifies the cluster's shard count on start, acquires leases (bumping range_id
 * fences out any previous owner), renews them on the clock, and drops a shard when its fence is lost.
 *
 * Without a ShardOwnership it holds every shard (dev mode and single-node deployments) and a dropped shard stays
 * dropped. With one (a cluster), it holds exactly the shards the ownership gives it: it reconciles on start, on
 * every ownership change and on every renew tick, acquiring what it should hold and releasing what moved away;
 * a shard lost to a fence comes back at the next reconcile if this host should still hold it.
 */
export class ShardController {
  readonly #shards = new Map<number, Shard>();
  #renewTimer: TimerHandle | undefined;
  readonly #leftListeners: ((shardId: number) => void)[] = [];
  /** A reconcile scheduled because an acquisition failed (e.g. the database refused a connection). */
  #retryTimer: TimerHandle | undefined;
  #stopped = false;
  readonly #hostBatcher: HostWriteBatcher | undefined;
  #unsubscribe: (() => void) | undefined;
  /** The reconcile loop in flight, if any; a change seen meanwhile sets #reconcileAgain instead of starting another. */
  #reconciling: Promise<void> | undefined;
  #reconcileAgain = false;

  constructor(
    private readonly store: PersistenceStore,
    private readonly clock: Clock,
    private readonly hostId: string,
    readonly shardCount: number,
    private readonly options: HistoryOptions,
    private readonly logger: HistoryLogger,
    private readonly executors: ShardExecutors,
    private readonly metrics: HistoryMetricsRecorder,
    private readonly ownership?: ShardOwnership,
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
    if (this.ownership) {
      this.#unsubscribe = this.ownership.subscribe(() => void this.reconcile());
      await this.reconcile();
      this.#scheduleRenew();
      return;
    }
    const ids = Array.from({ length: this.shardCount }, (_, i) => i + 1);
    for (let i = 0; i < ids.length; i += ACQUIRE_CONCURRENCY) {
      await Promise.all(ids.slice(i, i + ACQUIRE_CONCURRENCY).map((id) => this.#acquire(id)));
    }
    for (const shard of this.#shards.values()) {
      shard.transfer.start();
      shard.timers.start();
    }
    this.#scheduleRenew();
  }

  /**
   * Brings the held shards in line with the ownership (no-op without one). Calls while a reconcile runs are
   * coalesced into one more pass after it; the promise resolves when no pass is pending.
   */
  reconcile(): Promise<void> {
    if (!this.ownership || this.#stopped) return Promise.resolve();
    if (this.#reconciling) {
      this.#reconcileAgain = true;
      return this.#reconciling;
    }
    const loop = async () => {
      try {
        do {
          this.#reconcileAgain = false;
          await this.#reconcileOnce(this.ownership!);
        } while (this.#reconcileAgain && !this.#stopped);
      } finally {
        this.#reconciling = undefined;
      }
    };
    this.#reconciling = loop();
    return this.#reconciling;
  }

  async #reconcileOnce(ownership: ShardOwnership): Promise<void> {
    const wanted: number[] = [];
    for (let id = 1; id <= this.shardCount; id++) {
      const held = this.#shards.has(id);
      const owns = ownership.owns(id);
      if (held && !owns) this.#release(id);
      else if (!held && owns) wanted.push(id);
    }
    let failed = false;
    for (let i = 0; i < wanted.length && !this.#stopped; i += ACQUIRE_CONCURRENCY) {
      await Promise.all(
        wanted.slice(i, i + ACQUIRE_CONCURRENCY).map(async (id) => {
          // The ring may have moved on while earlier batches were acquired.
          if (this.#stopped || !ownership.owns(id)) return;
          try {
            const shard = await this.#acquire(id);
            if (this.#stopped) return;
            shard.transfer.start();
            shard.timers.start();
          } catch (error) {
            // Another host won the race for this range, or the database failed: retried shortly, not only at the
            // next renew tick, because until then nobody serves the shard.
            failed = true;
            this.logger.warn({ err: error, shardId: id }, 'shard acquisition failed; will retry');
          }
        }),
      );
    }
    if (failed && !this.#stopped && !this.#retryTimer) {
      this.#retryTimer = this.clock.setTimer(ACQUIRE_RETRY_MS, () => {
        this.#retryTimer = undefined;
        void this.reconcile();
      });
    }
  }

  /** Gives a shard up because it moved to another host (not because its fence was lost). */
  #release(shardId: number): void {
    const shard = this.#shards.get(shardId);
    if (!shard) return;
    this.logger.info({ shardId }, 'shard moved to another host; releasing it');
    this.#shards.delete(shardId);
    this.metrics.shardOwned(shardId, this.hostId, false);
    shard.transfer.stop();
    shard.timers.stop();
    shard.ctx.release();
    shard.cache.clear();
    this.#notifyLeft(shardId);
  }

  /** Ids of the shards this host holds now, ascending. */
  ownedShardIds(): number[] {
    return [...this.#shards.keys()].sort((a, b) => a - b);
  }

  async #acquire(shardId: number): Promise<Shard> {
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
    return shard;
  }

  /** The owned shard, or UNAVAILABLE. */
  get(shardId: number): Shard {
    const shard = this.#shards.get(shardId);
    // In a cluster the ring is asked too: a host that resumes after a pause still holds shards in memory until its
    // reconcile runs, and must not answer from that memory once the ring (its own heartbeat too old) has moved on.
    if (!shard || shard.ctx.lost || (this.ownership && !this.ownership.owns(shardId))) {
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
    this.#notifyLeft(ctx.shardId);
  }

  /**
   * Registers a listener for shards this host stops serving (moved or fence lost). History wakes its long polls
   * with it: a poll waiting here for a run of that shard would otherwise sleep out its deadline while the run
   * moves on at the new owner; woken, it finds the shard gone and its caller retries at the owner.
   */
  onShardLeft(listener: (shardId: number) => void): void {
    this.#leftListeners.push(listener);
  }

  #notifyLeft(shardId: number): void {
    for (const listener of this.#leftListeners) listener(shardId);
  }

  #scheduleRenew(): void {
    if (this.#stopped) return;
    this.#renewTimer = this.clock.setTimer(this.options.shardRenewIntervalMs, () => void this.#renewAll());
  }

  async #renewAll(): Promise<void> {
    const shards = this.all();
    for (let i = 0; i < shards.length; i += ACQUIRE_CONCURRENCY) {
      await Promise.all(
        shards.slice(i, i + ACQUIRE_CONCURRENCY).map((s) =>
          s.ctx.renew().catch((error: unknown) => {
            this.logger.warn({ err: error, shardId: s.ctx.shardId }, 'shard lease renewal failed');
          }),
        ),
      );
    }
    // Retries acquisitions that failed and takes back shards lost to a fence that this host should still hold.
    await this.reconcile().catch((error: unknown) => {
      this.logger.warn({ err: error }, 'shard reconcile failed');
    });
    this.#scheduleRenew();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#renewTimer?.cancel();
    this.#retryTimer?.cancel();
    this.#unsubscribe?.();
    // An acquisition in flight finishes (or fails) first, so no processor starts after this returns.
    await this.#reconciling;
    for (const shard of this.#shards.values()) {
      shard.transfer.stop();
      shard.timers.stop();
    }
    await Promise.all(this.all().flatMap((s) => [s.transfer.flush(), s.timers.flush()]));
  }
}

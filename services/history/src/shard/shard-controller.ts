import type { Clock, TimerHandle } from '@odin/hugo';
import type { OutboxTask, PersistenceStore } from '@odin/persistence';
import { RunCache } from '../cache.js';
import type { HistoryLogger, HistoryOptions, ShardOwnership } from '../context.js';
import type { HistoryMetricsRecorder } from '../metrics.js';
import { TimerProcessor } from '../queues/timer-processor.js';
import { TransferProcessor } from '../queues/transfer-processor.js';
import { type CommitObserver, HostWriteBatcher, supportsMultiShardCommit } from './host-write-batcher.js';
import { HostOutboxAcks } from '../queues/host-outbox-acks.js';
import type { OwnedShards, Shard } from './owned-shards.js';
import { ShardContext } from './shard-context.js';

/** Runs one outbox task of a shard against the run's current state. */
export interface TaskExecutor {
  execute(task: OutboxTask): Promise<void>;
}

/** What runs the tasks of every shard's outboxes. */
export interface ShardExecutors {
  readonly transfer: TaskExecutor;
  readonly timer: TaskExecutor;
}

export interface ShardControllerDeps {
  readonly store: PersistenceStore;
  readonly clock: Clock;
  readonly hostId: string;
  /** The table of held shards the controller fills and empties (the engine reads it). */
  readonly shards: OwnedShards;
  readonly options: HistoryOptions;
  readonly logger: HistoryLogger;
  readonly executors: ShardExecutors;
  readonly metrics: HistoryMetricsRecorder;
  /** Which shards this host should hold (a cluster's hash ring); absent, the host holds every shard. */
  readonly ownership?: ShardOwnership;
  /**
   * Called for every shard this host stops serving (moved or fence lost). History wakes its long polls with it: a
   * poll waiting here for a run of that shard would otherwise sleep out its deadline while the run moves on at the
   * new owner; woken, it finds the shard gone and its caller retries at the owner.
   */
  readonly onShardLeft?: (shardId: number) => void;
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
  readonly #deps: ShardControllerDeps;
  readonly #shards: OwnedShards;
  #renewTimer: TimerHandle | undefined;
  /** A reconcile scheduled because an acquisition failed (e.g. the database refused a connection). */
  #retryTimer: TimerHandle | undefined;
  #stopped = false;
  readonly #hostBatcher: HostWriteBatcher | undefined;
  /** Finished outbox tasks of all shards, deleted with the host-wide group commits (when there are any). */
  readonly #hostAcks: HostOutboxAcks | undefined;
  /** The group commits' metrics, host-wide or each shard's own. */
  readonly #commitObserver: CommitObserver;
  #unsubscribe: (() => void) | undefined;
  /** The reconcile loop in flight, if any; a change seen meanwhile sets #reconcileAgain instead of starting another. */
  #reconciling: Promise<void> | undefined;
  #reconcileAgain = false;

  constructor(deps: ShardControllerDeps) {
    this.#deps = deps;
    this.#shards = deps.shards;
    const executions = deps.store.executions;
    this.#commitObserver = {
      now: () => deps.clock.now(),
      batchStarted: (transitions, waitedMs) => deps.metrics.groupCommitStarted(transitions, waitedMs),
      committed: (ms, code) => deps.metrics.commit(ms, code),
    };
    if (supportsMultiShardCommit(executions)) {
      this.#hostAcks = new HostOutboxAcks(
        deps.store.outbox,
        deps.clock,
        deps.options.outboxDeleteDelayMs,
        (error) => deps.logger.warn({ err: error }, 'outbox task delete failed'),
      );
      this.#hostBatcher = new HostWriteBatcher(executions, this.#commitObserver, this.#hostAcks, {
        maxConcurrentCommits: deps.store.dialect === 'sqlite' ? 1 : deps.options.concurrentCommits,
      });
    }
  }

  get shardCount(): number {
    return this.#shards.shardCount;
  }

  /** Whether transitions of different shards share transactions (the store supports multi-shard commits). */
  get hostWideGroupCommit(): boolean {
    return this.#hostBatcher !== undefined;
  }

  async start(): Promise<void> {
    const { store, clock, ownership } = this.#deps;
    await store.cluster.initOrVerifyClusterMetadata({
      clusterName: CLUSTER_NAME,
      shardCount: this.shardCount,
      now: clock.now(),
    });
    if (ownership) {
      this.#unsubscribe = ownership.subscribe(() => void this.reconcile());
      await this.reconcile();
      this.#scheduleRenew();
      return;
    }
    const ids = Array.from({ length: this.shardCount }, (_, i) => i + 1);
    for (let i = 0; i < ids.length; i += ACQUIRE_CONCURRENCY) {
      await Promise.all(ids.slice(i, i + ACQUIRE_CONCURRENCY).map((id) => this.#acquire(id)));
    }
    for (const shard of this.#shards.all()) {
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
    const ownership = this.#deps.ownership;
    if (!ownership || this.#stopped) return Promise.resolve();
    if (this.#reconciling) {
      this.#reconcileAgain = true;
      return this.#reconciling;
    }
    const loop = async () => {
      try {
        do {
          this.#reconcileAgain = false;
          await this.#reconcileOnce(ownership);
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
            this.#deps.logger.warn({ err: error, shardId: id }, 'shard acquisition failed; will retry');
          }
        }),
      );
    }
    if (failed && !this.#stopped && !this.#retryTimer) {
      this.#retryTimer = this.#deps.clock.setTimer(ACQUIRE_RETRY_MS, () => {
        this.#retryTimer = undefined;
        void this.reconcile();
      });
    }
  }

  /** Gives a shard up because it moved to another host (not because its fence was lost). */
  #release(shardId: number): void {
    const shard = this.#shards.held(shardId);
    if (!shard) return;
    this.#deps.logger.info({ shardId }, 'shard moved to another host; releasing it');
    this.#shards.remove(shardId);
    this.#deps.metrics.shardOwned(shardId, this.#deps.hostId, false);
    shard.transfer.stop();
    shard.timers.stop();
    shard.ctx.release();
    shard.cache.clear();
    this.#deps.onShardLeft?.(shardId);
  }

  /** Ids of the shards this host holds now, ascending. */
  ownedShardIds(): number[] {
    return this.#shards.ids();
  }

  async #acquire(shardId: number): Promise<Shard> {
    const { store, clock, hostId, options, logger, executors, metrics } = this.#deps;
    const lease = await store.shards.acquireShard(shardId, hostId, options.shardLeaseMs, clock.now());
    const ctx = new ShardContext(
      lease,
      store,
      (lost) => this.#drop(lost),
      options.shardLeaseMs,
      () => clock.now(),
      this.#hostBatcher,
      this.#commitObserver,
    );
    const shard: Shard = {
      ctx,
      cache: new RunCache(runCacheLimits(options, this.shardCount)),
      transfer: new TransferProcessor(
        shardId,
        store,
        clock,
        (task) => executors.transfer.execute(task),
        logger,
        options.transferScanIntervalMs,
        options.outboxDeleteDelayMs,
        this.#hostAcks,
      ),
      timers: new TimerProcessor(
        shardId,
        store,
        clock,
        (task) => executors.timer.execute(task),
        logger,
        options.timerScanIntervalMs,
        options.outboxDeleteDelayMs,
        this.#hostAcks,
      ),
    };
    this.#shards.add(shard);
    metrics.shardOwned(shardId, hostId, true);
    return shard;
  }

  /** The owned shard, or UNAVAILABLE. */
  get(shardId: number): Shard {
    return this.#shards.get(shardId);
  }

  has(shardId: number): boolean {
    return this.#shards.has(shardId);
  }

  all(): Shard[] {
    return this.#shards.all();
  }

  #drop(ctx: ShardContext): void {
    const shard = this.#shards.held(ctx.shardId);
    if (!shard || shard.ctx !== ctx) return;
    this.#deps.logger.warn({ shardId: ctx.shardId }, 'shard ownership lost; dropping the shard');
    this.#shards.remove(ctx.shardId);
    this.#deps.metrics.shardOwned(ctx.shardId, this.#deps.hostId, false);
    shard.transfer.stop();
    shard.timers.stop();
    shard.cache.clear();
    this.#deps.onShardLeft?.(ctx.shardId);
  }

  #scheduleRenew(): void {
    if (this.#stopped) return;
    this.#renewTimer = this.#deps.clock.setTimer(
      this.#deps.options.shardRenewIntervalMs,
      () => void this.#renewAll(),
    );
  }

  async #renewAll(): Promise<void> {
    const shards = this.all();
    const logger = this.#deps.logger;
    for (let i = 0; i < shards.length; i += ACQUIRE_CONCURRENCY) {
      await Promise.all(
        shards.slice(i, i + ACQUIRE_CONCURRENCY).map((s) =>
          s.ctx.renew().catch((error: unknown) => {
            logger.warn({ err: error, shardId: s.ctx.shardId }, 'shard lease renewal failed');
          }),
        ),
      );
    }
    // Retries acquisitions that failed and takes back shards lost to a fence that this host should still hold.
    await this.reconcile().catch((error: unknown) => {
      logger.warn({ err: error }, 'shard reconcile failed');
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
    for (const shard of this.#shards.all()) {
      shard.transfer.stop();
      shard.timers.stop();
    }
    await Promise.all(this.all().flatMap((s) => [s.transfer.flush(), s.timers.flush()]));
    this.#hostAcks?.stop();
  }
}

/** Each shard's share of the host's mutable-state cache, by entries and by bytes. */
function runCacheLimits(options: HistoryOptions, shardCount: number): { entries: number; bytes: number } {
  return {
    entries: Math.max(MIN_CACHE_RUNS_PER_SHARD, Math.ceil(options.cacheSizePerHost / shardCount)),
    bytes: Math.max(MIN_CACHE_BYTES_PER_SHARD, Math.ceil(options.cacheBytesPerHost / shardCount)),
  };
}

/**
 * A shard's cache holds at least this much, however many shards share the host's budget (512 shards: 4,096 runs and
 * 128 MiB at least).
 */
const MIN_CACHE_RUNS_PER_SHARD = 8;
const MIN_CACHE_BYTES_PER_SHARD = 256 * 1024;

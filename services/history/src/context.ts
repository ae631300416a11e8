import type { HistoryPeerApi, MatchingApi } from '@odin/api';
import type { Clock } from '@odin/hugo';
import type { PersistenceStore } from '@odin/persistence';
import type { HistoryMetrics } from './metrics.js';

/** The logging calls history makes; a pino logger satisfies it. */
export interface HistoryLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * What history needs from the process's runtime context ({clock, random, logger, metrics, store, config}).
 * Declared structurally so the runtime package's RuntimeContext can be passed as is.
 */
export interface HistoryRuntime {
  readonly clock: Clock;
  readonly store: PersistenceStore;
  readonly random?: { uuid(): string; next(): number };
  readonly logger?: HistoryLogger;
  readonly metrics?: HistoryMetrics;
  readonly config?: { readonly shardCount?: number; readonly hostId?: string };
}

/**
 * Which shards this history host should hold, decided outside history (in a cluster, by the membership hash ring;
 * the process wires it in). History only asks and listens; the leases themselves stay fenced by range_id, so a
 * wrong or stale answer costs a steal and a retry, never a write under a lost fence.
 */
export interface ShardOwnership {
  /** Whether this host should hold `shardId` now. */
  owns(shardId: number): boolean;
  /** `onChange` runs whenever the answer of `owns` may have changed; returns the unsubscribe function. */
  subscribe(onChange: () => void): () => void;
}

export interface HistoryDeps {
  matching: MatchingApi;
  /**
   * Where child-workflow and external signal / cancel calls go: in a cluster, a router to the owner of the target
   * workflow's shard. Absent = this history service (every shard is local).
   */
  peers?: HistoryPeerApi;
  shardCount?: number;
  hostId?: string;
  /** Tuning knobs; defaults suit production, tests shrink them. */
  options?: Partial<HistoryOptions>;
  /** Which shards this host should hold (a cluster's hash ring); absent, the host holds every shard. */
  ownership?: ShardOwnership;
}

export interface HistoryOptions {
  /** Shard lease duration written to the store. */
  shardLeaseMs: number;
  /** How often leases are renewed. */
  shardRenewIntervalMs: number;
  /**
   * How often the transfer outbox is rescanned after a hand-off to matching failed (a full safety scan runs every
   * 12 intervals regardless).
   */
  transferScanIntervalMs: number;
  /** How often the timer outbox is scanned (looking two intervals ahead); committed timers are armed in memory. */
  timerScanIntervalMs: number;
  /** Empty long-poll answer for GetWorkflowExecutionHistory(wait_new_event) after this long. */
  historyLongPollMs: number;
  /**
   * Group commits of this host in flight at once on a server database (PostgreSQL, MySQL), each of other shards,
   * the second and later only while a backlog waits (GroupCommitQueue); embedded SQLite always commits one at a time
   * (one writer).
   */
  concurrentCommits: number;
  /**
   * Max runs kept in the mutable-state caches of the host (split evenly over its shards, at least 8 each). Enough for
   * every running run that is busy at once; closed runs are kept a short while (a result fetch reads them at once).
   */
  cacheSizePerHost: number;
  /**
   * Max estimated bytes of mutable state (and of the histories held with it) in the caches of the host, split evenly
   * over its shards (at least 256 KiB each); the estimate is calibrated against the heap (cache.ts, runSize).
   */
  cacheBytesPerHost: number;
  /** Events per page of a poll response / history page when the caller does not say. */
  historyPageSize: number;
  /**
   * Encoded event bytes per page of a poll response / history page at most (one event always goes): the official
   * clients refuse gRPC messages over 4 MiB.
   */
  historyPageBytes: number;
  /**
   * Outbox rows of finished tasks are deleted in batches collected over this long (0 = at once). Deletes are never
   * urgent (a row outliving its task only means a stale re-run after a restart), and each one is a write.
   */
  outboxDeleteDelayMs: number;
  /**
   * Honour `request_eager_execution` on ScheduleActivityTask commands: the activity starts with the workflow task's
   * completion and goes back to the completing worker in its response (as Temporal's
   * `system.enableActivityEagerExecution`).
   */
  eagerActivityExecution: boolean;
  /**
   * Honour `request_eager_execution` on StartWorkflowExecution: the first workflow task starts with the run and goes
   * back in the response to the client's co-located worker (as Temporal's `system.enableEagerWorkflowStart`).
   */
  eagerWorkflowStart: boolean;
  /**
   * Updates a run may have admitted or accepted and not completed at once; more are refused with RESOURCE_EXHAUSTED
   * (as Temporal's `history.maxInFlightUpdates`). 0 = no limit.
   */
  maxInFlightUpdates: number;
  /**
   * Distinct updates one run may receive (rejected ones are not counted); more are refused with FAILED_PRECONDITION
   * (as Temporal's `history.maxTotalUpdates`). 0 = no limit.
   */
  maxTotalUpdates: number;
  /**
   * A run's history limits (Temporal's `limit.historyCount.*` and `limit.historySize.*`): from the suggest thresholds
   * on, each WorkflowTaskStarted event carries `suggest_continue_as_new`; past the warn thresholds a warning is
   * logged; a transition that would leave a running run above an error threshold is replaced by its termination.
   */
  historyLimits: HistoryLimits;
}

/** See HistoryOptions.historyLimits; counts are events, sizes bytes of the encoded events. */
export interface HistoryLimits {
  countSuggestContinueAsNew: number;
  sizeSuggestContinueAsNew: number;
  countWarn: number;
  sizeWarn: number;
  countError: number;
  sizeError: number;
  /**
   * A payload a workflow-task completion's command carries (activity input, result, failure, ...): over `blobError`
   * the run is terminated, as Temporal's `limit.blobSize.error` does; over `blobWarn` a warning is logged.
   */
  blobWarn: number;
  blobError: number;
  /**
   * A running run whose committed state (its mutable state as stored) is over `stateError` bytes is terminated at its
   * next transition, as Temporal's `limit.mutableStateSize.error` does: pending activities, timers, children and
   * buffered signals all live there, so it can outgrow what one row should hold while its history is still small.
   */
  stateError: number;
}

/** Temporal's defaults. */
export const DEFAULT_HISTORY_LIMITS: HistoryLimits = {
  countSuggestContinueAsNew: 4_096,
  sizeSuggestContinueAsNew: 4 * 1024 * 1024,
  countWarn: 10_240,
  sizeWarn: 10 * 1024 * 1024,
  countError: 51_200,
  sizeError: 50 * 1024 * 1024,
  blobWarn: 512 * 1024,
  blobError: 2 * 1024 * 1024,
  stateError: 8 * 1024 * 1024,
};

export const DEFAULT_HISTORY_OPTIONS: HistoryOptions = {
  shardLeaseMs: 120_000,
  shardRenewIntervalMs: 40_000,
  transferScanIntervalMs: 5_000,
  timerScanIntervalMs: 30_000,
  historyLongPollMs: 20_000,
  concurrentCommits: 4,
  cacheSizePerHost: 4_096,
  cacheBytesPerHost: 64 * 1024 * 1024,
  historyPageSize: 1_000,
  historyPageBytes: 2 * 1024 * 1024,
  outboxDeleteDelayMs: 500,
  eagerActivityExecution: true,
  eagerWorkflowStart: true,
  maxInFlightUpdates: 10,
  maxTotalUpdates: 2000,
  historyLimits: DEFAULT_HISTORY_LIMITS,
};

export const silentLogger: HistoryLogger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** How poll responses page history, from the options. */
export function historyPaging(options: HistoryOptions): {
  pageSize: number;
  pageBytes: number;
  continueAsNew: HistoryLimits;
} {
  return {
    pageSize: options.historyPageSize,
    pageBytes: options.historyPageBytes,
    continueAsNew: options.historyLimits,
  };
}

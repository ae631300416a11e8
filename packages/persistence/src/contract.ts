/**
 * The persistence contract the Odin engine stands on. Shaped by what history and matching do (ARCHITECTURE.md
 * invariants 1–5), not by generic CRUD: every workflow change is one fenced transaction, history is an append-only
 * contiguous log, outbox tasks are written with the transition that produced them.
 *
 * Conventions: times are epoch milliseconds; blobs are Uint8Array (Temporal protobuf bytes where they carry protos);
 * task ids, event ids, range ids and versions are JS numbers (always below 2^53).
 */

// ---------------------------------------------------------------------------------------------------------------
// Constants

/**
 * Temporal's id length limit (its `limit.maxIDLength`, 1,000 by default), in bytes of UTF-8 as Temporal measures
 * it (Go's `len` of the string): a workflow id of 250 four-byte emoji is at the limit. The workflow id columns hold
 * that many bytes on every dialect (migration 0006, docs/persistence.md).
 */
export const MAX_ID_BYTES = 1000;
/** Namespace names, task-queue names and workflow type names share this bound, in characters (VARCHAR(255)). */
export const MAX_NAME_LENGTH = 255;

/** The length of `text` in bytes of UTF-8: what Temporal's id limits count. */
export function utf8ByteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * Why an id or name is too long for Temporal's id limit (MAX_ID_BYTES bytes of UTF-8); undefined when it fits.
 * `field` names it in the message, which echoes no part of the value.
 */
export function idLengthError(value: string, field: string): string | undefined {
  if (value.length * 3 <= MAX_ID_BYTES) return undefined; // a UTF-16 unit is at most 3 bytes of UTF-8
  const bytes = utf8ByteLength(value);
  return bytes > MAX_ID_BYTES
    ? `${field} length exceeds limit: ${bytes} bytes of UTF-8; the limit is ${MAX_ID_BYTES}.`
    : undefined;
}
/** Shard task ids are `rangeId * 2^TASK_ID_RANGE_BITS + seq`; a lease owns the ids of its range (Temporal's scheme). */
export const TASK_ID_RANGE_BITS = 20;
/** A task-queue lease r owns matching task ids [(r-1)*size+1, r*size]. */
export const MATCHING_TASK_ID_BLOCK_SIZE = 100_000;

/** Temporal's WorkflowExecutionStatus numbers. */
export const WorkflowStatus = {
  RUNNING: 1,
  COMPLETED: 2,
  FAILED: 3,
  CANCELED: 4,
  TERMINATED: 5,
  CONTINUED_AS_NEW: 6,
  TIMED_OUT: 7,
} as const;
export type WorkflowStatusNumber = (typeof WorkflowStatus)[keyof typeof WorkflowStatus];

/** Task-queue type, as Temporal's TaskQueueType enum. */
export const TaskQueueType = { WORKFLOW: 1, ACTIVITY: 2 } as const;
export type TaskQueueTypeNumber = (typeof TaskQueueType)[keyof typeof TaskQueueType];

export type DialectName = 'postgres' | 'mysql' | 'sqlite';

// ---------------------------------------------------------------------------------------------------------------
// Plain data

export interface ExecutionKey {
  namespaceId: string;
  workflowId: string;
  runId: string;
}

/** One workflow_executions row: the engine's mutable state plus the columns the store itself must reason about. */
export interface ExecutionRecord {
  key: ExecutionKey;
  shardId: number;
  status: number;
  /** Next event id to write; events < nextEventId exist and are the only ones a reader may see. */
  nextEventId: number;
  /** CAS counter; 1 after create, +1 on every committed update. */
  dbVersion: number;
  /** Engine-owned mutable-state blob; the store never looks inside. */
  state: Uint8Array;
  startTime: number;
  closeTime?: number | null;
  updatedAt: number;
  /** Store-maintained sum of the run's event blob sizes (ignored on create). */
  historyBytes?: number;
}

/** The run a workflow id currently resolves to; holds the start request id for deduplication. */
export interface CurrentExecution {
  namespaceId: string;
  workflowId: string;
  runId: string;
  createRequestId: string;
  status: number;
  startTime: number;
  closeTime?: number | null;
}

/** One Temporal HistoryEvent protobuf. */
export interface HistoryEventRow {
  eventId: number;
  data: Uint8Array;
}

export type OutboxCategory = 'transfer' | 'timer' | 'visibility';
export type ImmediateCategory = 'transfer' | 'visibility';

export interface OutboxTask {
  category: OutboxCategory;
  taskId: number;
  /** Timer: when the task is due. Transfer / visibility: creation time. */
  fireTime: number;
  namespaceId: string;
  workflowId: string;
  runId: string;
  taskType: string;
  data: Uint8Array;
}

/**
 * Temporal's search-attribute value types, by the names its `type` payload metadata and its CLI use
 * (IndexedValueType without the prefix).
 */
export type SearchAttributeType = 'Text' | 'Keyword' | 'Int' | 'Double' | 'Bool' | 'Datetime' | 'KeywordList';

/**
 * One search attribute of a run, typed: Keyword and Text are strings, Int and Double numbers, Bool a boolean,
 * Datetime an RFC 3339 string, KeywordList an array of strings.
 */
export interface TypedSearchAttribute {
  type: SearchAttributeType;
  value: string | number | boolean | string[];
}

export interface VisibilityRecord {
  namespaceId: string;
  runId: string;
  workflowId: string;
  workflowType: string;
  status: number;
  startTime: number;
  executionTime: number;
  closeTime?: number | null;
  taskQueue: string;
  historyLength: number;
  /** Bytes of the run's history events. */
  historySizeBytes?: number;
  /** Milliseconds from execution time to close time, once closed. */
  executionDuration?: number | null;
  memo?: Uint8Array | null;
  /**
   * Custom and predefined search attributes by name, each with its type: what list results return and what
   * queries on them filter (see visibility_search_attributes in docs/persistence.md).
   */
  searchAttributes?: Record<string, TypedSearchAttribute> | null;
  parentWorkflowId?: string | null;
  parentRunId?: string | null;
  /** The top of the run's parent chain (the run itself when it has no parent). */
  rootWorkflowId?: string | null;
  rootRunId?: string | null;
  /** Monotonic per run; an upsert older than the stored one is ignored (visibility tasks can arrive out of order). */
  stateVersion: number;
}

export interface NamespaceRecord {
  id: string;
  name: string;
  /** Temporal NamespaceState number (1 REGISTERED, 2 DEPRECATED, 3 DELETED). */
  state: number;
  description: string;
  ownerEmail: string;
  retentionMs: number;
  /** Engine-owned extra detail (e.g. a NamespaceInfo/Config proto). */
  data?: Uint8Array | null;
  /** CAS counter for updates and the cache; 1 after create. */
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface ClusterMetadata {
  clusterName: string;
  shardCount: number;
  createdAt: number;
}

export interface ShardLease {
  shardId: number;
  rangeId: number;
  ownerHostId: string;
}

/** A shard row as stored (for diagnostics and the shard controller). */
export interface ShardRecord extends ShardLease {
  leaseExpiresAt: number;
  updatedAt: number;
}

/** Fence used by every execution write: the shard and the range the writer believes it holds. */
export interface ShardFence {
  shardId: number;
  rangeId: number;
}

/** One shard's part of a multi-shard commit (commitShardBatches). */
export interface ShardBatch {
  fence: ShardFence;
  transitions: Transition[];
}

/**
 * Outbox rows of finished tasks, of any shards, to delete. A delete needs no fence: a finished task's row is dead
 * wherever the shard lives now (at worst a row outlives its task and re-runs stale after a restart).
 */
export interface OutboxAcks {
  transfer: { shardId: number; taskId: number }[];
  timer: { shardId: number; fireTime: number; taskId: number }[];
}

export interface TaskQueueLease {
  namespaceId: string;
  name: string;
  type: number;
  rangeId: number;
  /** Every task id <= ackLevel has been completed. */
  ackLevel: number;
}

export interface MatchingTask {
  taskId: number;
  data: Uint8Array;
  expiresAt?: number | null;
  createdAt: number;
}

export interface MembershipRecord {
  hostId: string;
  role: string;
  rpcAddress: string;
  sessionStart: number;
  lastHeartbeat: number;
  recordExpiry: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Limits

export interface PersistenceLimits {
  /** Largest single history event (bytes of its protobuf). */
  maxEventBytes: number;
  /** Largest single blob otherwise (mutable state, task data, memo, matching task). */
  maxPayloadBytes: number;
  /** Largest event count of one run's history. */
  maxHistoryEvents: number;
  /** Optional cap on a run's total history bytes (sum of its event blobs); unchecked when absent. */
  maxHistoryBytes?: number;
}

export const DEFAULT_LIMITS: PersistenceLimits = {
  maxEventBytes: 2 * 1024 * 1024,
  maxPayloadBytes: 2 * 1024 * 1024,
  maxHistoryEvents: 51_200,
};

// ---------------------------------------------------------------------------------------------------------------
// Transitions

export type CurrentExecutionMode =
  /** No current row may exist for the workflow id. */
  | { mode: 'brand-new' }
  /** The current row must point at `expectedCurrentRunId` (the closed run being reused / continued-as-new). */
  | { mode: 'replace'; expectedCurrentRunId: string };

export interface CreateTransition {
  kind: 'create';
  /** dbVersion is ignored and stored as 1; nextEventId must be last event id + 1. Events must start at 1. */
  execution: ExecutionRecord;
  current: CurrentExecutionMode;
  createRequestId: string;
  events: HistoryEventRow[];
  tasks: OutboxTask[];
  visibility?: VisibilityRecord;
}

export interface UpdateTransition {
  kind: 'update';
  key: ExecutionKey;
  expectedDbVersion: number;
  status: number;
  /** New next event id; must equal last appended event id + 1 (or stay unchanged when no events). */
  nextEventId: number;
  state: Uint8Array;
  /** undefined keeps the stored close time; null clears it. */
  closeTime?: number | null;
  /** Must start at the row's stored nextEventId and be contiguous, else HistoryGapError. */
  events: HistoryEventRow[];
  tasks: OutboxTask[];
  /** Applied only if current_executions still points at this run. */
  updateCurrent?: { status: number; closeTime?: number | null };
  visibility?: VisibilityRecord;
  /** Stored as updated_at; undefined keeps the stored value. */
  updatedAt?: number;
}

export type Transition = CreateTransition | UpdateTransition;

export interface CommitResult {
  /** The dbVersion each transition left its run at (1 for creates), in input order. */
  dbVersions: number[];
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

/** Base of every expected persistence failure; `code` is stable for callers and logs. */
export abstract class PersistenceError extends Error {
  abstract readonly code: string;
  /** Index of the failing transition inside commitShardBatch, when the error came from one. */
  transitionIndex?: number;

  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The shard's range_id is not the one the writer holds: another host took it. Drop the shard; nothing was written. */
export class ShardOwnershipLostError extends PersistenceError {
  readonly code = 'SHARD_OWNERSHIP_LOST';
  constructor(
    readonly shardId: number,
    readonly expectedRangeId: number,
    readonly actualRangeId: number | null,
  ) {
    super(
      `shard ${shardId} ownership lost: held range ${expectedRangeId}, stored range ${actualRangeId ?? 'none'}`,
    );
  }
}

/** The run's dbVersion moved since the writer read it: reload mutable state and retry. */
export class ExecutionVersionConflictError extends PersistenceError {
  readonly code = 'EXECUTION_VERSION_CONFLICT';
  constructor(
    readonly key: ExecutionKey,
    readonly expectedDbVersion: number,
    readonly actualDbVersion: number,
  ) {
    super(
      `execution ${key.workflowId}/${key.runId} version conflict: expected ${expectedDbVersion}, found ${actualDbVersion}`,
    );
  }
}

/** A create was refused because a current run exists (brand-new) or the current run changed (replace). */
export class CurrentExecutionConflictError extends PersistenceError {
  readonly code = 'CURRENT_EXECUTION_CONFLICT';
  constructor(
    readonly namespaceId: string,
    readonly workflowId: string,
    /** The run the workflow id currently points at ('' when there is none: a replace found no current row). */
    readonly currentRunId: string,
    readonly createRequestId: string,
    readonly status: number,
    readonly startTime: number,
  ) {
    super(`workflow ${workflowId} has current run ${currentRunId || '(none)'} (status ${status})`);
  }
}

/** A create collided with an existing run id (a bug in run-id generation or a replayed create). */
export class ExecutionAlreadyExistsError extends PersistenceError {
  readonly code = 'EXECUTION_ALREADY_EXISTS';
  constructor(readonly key: ExecutionKey) {
    super(`execution ${key.workflowId}/${key.runId} already exists`);
  }
}

export class ExecutionNotFoundError extends PersistenceError {
  readonly code = 'EXECUTION_NOT_FOUND';
  constructor(readonly key: ExecutionKey) {
    super(`execution ${key.workflowId}/${key.runId} not found`);
  }
}

/** Appended events do not continue the stored history contiguously. */
export class HistoryGapError extends PersistenceError {
  readonly code = 'HISTORY_GAP';
  constructor(
    readonly key: ExecutionKey,
    readonly expectedEventId: number,
    readonly actualEventId: number,
  ) {
    super(
      `history of ${key.workflowId}/${key.runId}: expected event ${expectedEventId}, got ${actualEventId}`,
    );
  }
}

export class NamespaceAlreadyExistsError extends PersistenceError {
  readonly code = 'NAMESPACE_ALREADY_EXISTS';
  constructor(readonly namespaceName: string) {
    super(`namespace ${namespaceName} already exists`);
  }
}

export class NamespaceNotFoundError extends PersistenceError {
  readonly code = 'NAMESPACE_NOT_FOUND';
  constructor(readonly nameOrId: string) {
    super(`namespace ${nameOrId} not found`);
  }
}

export class ScheduleAlreadyExistsError extends PersistenceError {
  readonly code = 'SCHEDULE_ALREADY_EXISTS';
  constructor(readonly scheduleId: string) {
    super(`schedule ${scheduleId} already exists`);
  }
}

export class ScheduleNotFoundError extends PersistenceError {
  readonly code = 'SCHEDULE_NOT_FOUND';
  constructor(readonly scheduleId: string) {
    super(`schedule ${scheduleId} not found`);
  }
}

export class BatchOperationAlreadyExistsError extends PersistenceError {
  readonly code = 'BATCH_OPERATION_ALREADY_EXISTS';
  constructor(readonly jobId: string) {
    super(`batch operation ${jobId} already exists`);
  }
}

/** The job changed (or went) since the version the writer read. */
export class BatchOperationVersionConflictError extends PersistenceError {
  readonly code = 'BATCH_OPERATION_VERSION_CONFLICT';
  constructor(
    readonly jobId: string,
    readonly expectedVersion: number,
  ) {
    super(`batch operation ${jobId} changed since version ${expectedVersion}`);
  }
}

export class ScheduleVersionConflictError extends PersistenceError {
  readonly code = 'SCHEDULE_VERSION_CONFLICT';
  constructor(
    readonly scheduleId: string,
    readonly expectedVersion: number,
  ) {
    super(`schedule ${scheduleId} changed since version ${expectedVersion}`);
  }
}

export class NamespaceVersionConflictError extends PersistenceError {
  readonly code = 'NAMESPACE_VERSION_CONFLICT';
  constructor(
    readonly id: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(`namespace ${id} version conflict: expected ${expectedVersion}, found ${actualVersion}`);
  }
}

/** The task queue's range_id moved: another matching host owns the queue now. */
export class TaskQueueLeaseLostError extends PersistenceError {
  readonly code = 'TASK_QUEUE_LEASE_LOST';
  constructor(
    readonly namespaceId: string,
    readonly taskQueueName: string,
    readonly type: number,
    readonly expectedRangeId: number,
    readonly actualRangeId: number | null,
  ) {
    super(
      `task queue ${taskQueueName} (type ${type}) lease lost: held ${expectedRangeId}, stored ${actualRangeId ?? 'none'}`,
    );
  }
}

/** The cluster was created with another shard count; a host must refuse to start. */
export class ClusterMetadataMismatchError extends PersistenceError {
  readonly code = 'CLUSTER_METADATA_MISMATCH';
  constructor(
    readonly storedShardCount: number,
    readonly requestedShardCount: number,
  ) {
    super(
      `cluster was created with ${storedShardCount} shards; this host is configured for ${requestedShardCount}`,
    );
  }
}

/** A size or count limit would be exceeded; nothing was written. */
export class LimitExceededError extends PersistenceError {
  readonly code = 'LIMIT_EXCEEDED';
  constructor(
    /** A PersistenceLimits field, or 'workflowIdLength' (MAX_ID_BYTES, in bytes of UTF-8). */
    readonly limit: keyof PersistenceLimits | 'workflowIdLength',
    readonly actual: number,
    readonly max: number,
  ) {
    super(`${limit} exceeded: ${actual} > ${max}`);
  }
}

/** The database was migrated by a newer Odin; this code must not touch it. */
export class SchemaTooNewError extends PersistenceError {
  readonly code = 'SCHEMA_TOO_NEW';
  constructor(
    readonly databaseVersion: number,
    readonly knownVersion: number,
  ) {
    super(
      `database schema version ${databaseVersion} is newer than this build knows (${knownVersion}); upgrade Odin`,
    );
  }
}

/** The schema is older than this build needs and `migrate` was off. */
export class SchemaTooOldError extends PersistenceError {
  readonly code = 'SCHEMA_TOO_OLD';
  constructor(
    readonly databaseVersion: number,
    readonly requiredVersion: number,
  ) {
    super(
      `database schema version ${databaseVersion} is older than required ${requiredVersion}; run the migrate command`,
    );
  }
}

/** The connection URL is malformed or unsupported. */
export class InvalidConnectionUrlError extends PersistenceError {
  readonly code = 'INVALID_CONNECTION_URL';
}

/** A page token was not produced by this store for this query (tampered or from another call). */
export class InvalidPageTokenError extends PersistenceError {
  readonly code = 'INVALID_PAGE_TOKEN';
  constructor() {
    super('invalid page token');
  }
}

/**
 * The database could not be reached or the connection died (refused, reset, killed, shut down); `url` never
 * contains the password. Retry later; for a commit, the outcome is unknown (see commitShardBatch).
 */
export class DatabaseUnavailableError extends PersistenceError {
  readonly code = 'DATABASE_UNAVAILABLE';
  constructor(
    readonly url: string,
    readonly causeMessage: string,
  ) {
    super(`database ${url} is unavailable: ${causeMessage}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Store sub-interfaces

export interface ClusterStore {
  /** Inserts the cluster row on first start; afterwards verifies the shard count (invariant 3). */
  initOrVerifyClusterMetadata(input: {
    clusterName: string;
    shardCount: number;
    now: number;
  }): Promise<ClusterMetadata>;
}

export interface ShardStore {
  /**
   * Takes the shard: creates it at range 1 if absent, else bumps range_id by CAS on the value read (steals from any
   * holder). Of concurrent acquirers exactly one wins each range; a loser gets ShardOwnershipLostError.
   */
  acquireShard(
    shardId: number,
    ownerHostId: string,
    leaseDurationMs: number,
    now: number,
  ): Promise<ShardLease>;
  /** Extends the lease without changing range_id; ShardOwnershipLostError when the range moved. */
  renewShard(lease: ShardLease, leaseDurationMs: number, now: number): Promise<ShardRecord>;
  /** The stored lease row (null when never acquired); for diagnostics and the controller's view. */
  getShard(shardId: number): Promise<ShardRecord | null>;
  /** Every shard row, by shard id. */
  listShards(): Promise<ShardRecord[]>;
}

export interface ReadPage<T> {
  items: T[];
  /** Absent when there is nothing more. */
  nextPageToken?: string;
}

export interface ExecutionStore {
  /**
   * Invariant 1: one transaction that checks the shard's range_id (mismatch → ShardOwnershipLostError, nothing
   * written), then applies each transition in order. Any failure rolls back the whole batch and rethrows the typed
   * error with `transitionIndex` set. A DatabaseUnavailableError (or any untyped error) leaves the outcome unknown
   * (the connection may have died during COMMIT): drop cached state of the batch's runs and reload before retrying;
   * the version CAS makes the retry safe.
   */
  commitShardBatch(fence: ShardFence, transitions: Transition[]): Promise<CommitResult>;
  /**
   * Host-wide group commit: the batches of several shards in ONE transaction. Every batch's fence is checked first,
   * under a shared lock on each history_shards row taken in ascending shard id order (so hosts never deadlock on
   * each other's fences); then all transitions are applied in order. Any failure rolls back every shard and throws
   * the typed error: a lost fence is ShardOwnershipLostError naming its `shardId` (no `transitionIndex`), any other
   * failure carries `transitionIndex` = index into the concatenation of all batches' transitions. Returns one
   * CommitResult per batch, in input order. commitShardBatch is the one-batch case of this. `acks` are deleted in
   * the same transaction (rolled back with it), so finished tasks cost no transaction of their own.
   */
  commitShardBatches(batches: ShardBatch[], acks?: OutboxAcks): Promise<CommitResult[]>;
  /** One-transition convenience over commitShardBatch. */
  createWorkflowExecution(fence: ShardFence, t: CreateTransition): Promise<CommitResult>;
  /** One-transition convenience over commitShardBatch. */
  updateWorkflowExecution(fence: ShardFence, t: UpdateTransition): Promise<CommitResult>;
  /** Fenced delete of one run (history, tasks stay; current row only if it points at the run; visibility row). */
  deleteWorkflowExecution(fence: ShardFence, key: ExecutionKey): Promise<void>;
  /** Loads a run's mutable state and CAS counters (null when absent); the engine's cache-miss path. */
  getExecution(key: ExecutionKey): Promise<ExecutionRecord | null>;
  /** The run a workflow id resolves to now (null when none): start dedup, signal/query routing without a run id. */
  getCurrentExecution(namespaceId: string, workflowId: string): Promise<CurrentExecution | null>;
}

export interface ReadHistoryOptions {
  /** Inclusive; default 1. */
  minEventId?: number;
  /** Exclusive; default the execution's nextEventId at the first call (the token pins it). */
  maxEventId?: number;
  pageSize: number;
  pageToken?: string;
}

export interface HistoryStore {
  /** Pages a run's events by id; never returns ids ≥ the run's nextEventId. ExecutionNotFoundError if no run. */
  readHistory(
    key: ExecutionKey,
    options: ReadHistoryOptions,
  ): Promise<{ events: HistoryEventRow[]; nextPageToken?: string }>;
}

export interface TimerTaskKey {
  fireTime: number;
  taskId: number;
}

export interface OutboxStore {
  /** Tasks with taskId > afterTaskId (and < maxTaskIdExclusive if given), ordered by taskId. */
  readImmediateTasks(
    shardId: number,
    category: ImmediateCategory,
    options: { afterTaskId: number; limit: number; maxTaskIdExclusive?: number },
  ): Promise<OutboxTask[]>;
  /** Deletes the given tasks (acked out of order). */
  deleteImmediateTasks(shardId: number, category: ImmediateCategory, taskIds: number[]): Promise<number>;
  /** Range completion: deletes every task with taskId <= maxTaskId. */
  deleteImmediateTasksUpTo(shardId: number, category: ImmediateCategory, maxTaskId: number): Promise<number>;
  /** Due timers (fireTime <= maxFireTime) after the `after` key, ordered by (fireTime, taskId). */
  readTimerTasks(
    shardId: number,
    options: { maxFireTime: number; limit: number; after?: TimerTaskKey },
  ): Promise<OutboxTask[]>;
  /** Deletes fired timers by key; returns how many existed. */
  deleteTimerTasks(shardId: number, keys: TimerTaskKey[]): Promise<number>;
  /** Deletes finished tasks of any shards in one transaction. */
  deleteAcked(acks: OutboxAcks): Promise<void>;
}

export interface MatchingStore {
  /** Creates the queue at range 1 if absent, else bumps range_id by CAS (steals); `now` is stored as updated_at. */
  acquireTaskQueueLease(
    namespaceId: string,
    name: string,
    type: number,
    now?: number,
  ): Promise<TaskQueueLease>;
  /** Inserts backlog tasks if the lease still holds (TaskQueueLeaseLostError otherwise). */
  createMatchingTasks(lease: TaskQueueLease, tasks: MatchingTask[]): Promise<void>;
  /** Backlog after `afterTaskId`, by taskId; with `now`, expired tasks are skipped. */
  readMatchingTasks(
    namespaceId: string,
    name: string,
    type: number,
    options: { afterTaskId: number; limit: number; now?: number },
  ): Promise<MatchingTask[]>;
  /** Deletes the given tasks if the lease still holds. */
  completeMatchingTasks(lease: TaskQueueLease, taskIds: number[]): Promise<number>;
  /** Deletes every task <= ackLevel and records the ack level, if the lease still holds. */
  completeMatchingTasksUpTo(lease: TaskQueueLease, ackLevel: number): Promise<number>;
  /** The stored lease and ack level (null when the queue was never leased). */
  getTaskQueue(namespaceId: string, name: string, type: number): Promise<TaskQueueLease | null>;
}

/** The system search attributes a visibility query can name (one typed column each). */
export type VisibilitySystemAttribute =
  | 'WorkflowId'
  | 'RunId'
  | 'WorkflowType'
  | 'ExecutionStatus'
  | 'TaskQueue'
  | 'StartTime'
  | 'ExecutionTime'
  | 'CloseTime'
  | 'ExecutionDuration'
  | 'HistoryLength'
  | 'HistorySizeBytes'
  | 'ParentWorkflowId'
  | 'ParentRunId'
  | 'RootWorkflowId'
  | 'RootRunId';

/** What a condition tests: a system attribute, or a registered search attribute with its type. */
export type VisibilityAttribute =
  | { system: VisibilitySystemAttribute }
  | { custom: string; type: SearchAttributeType };

/**
 * A value in a condition, in the attribute's own terms: strings for Keyword, Text and KeywordList attributes (and
 * the Keyword system attributes), numbers for Int and Double (HistoryLength, HistorySizeBytes), booleans for Bool,
 * the status number for ExecutionStatus, and bigint nanoseconds for Datetime attributes (since the epoch: StartTime,
 * ExecutionTime, CloseTime too) and for ExecutionDuration.
 */
export type VisibilityValue = string | number | boolean | bigint;

/**
 * A parsed List/Count filter, with SQL's three-valued logic: a condition on a run that lacks the attribute is
 * unknown (neither it nor its NOT matches), except IS NULL / IS NOT NULL. Text `=` matches when any token of the
 * value is among the attribute's tokens; KeywordList `=` when the value is one of the list's.
 */
export type VisibilityCondition =
  | { op: 'and' | 'or'; operands: VisibilityCondition[] }
  | { op: 'not'; operand: VisibilityCondition }
  | { op: '=' | '!=' | '<' | '<=' | '>' | '>='; attribute: VisibilityAttribute; value: VisibilityValue }
  | { op: 'in' | 'not in'; attribute: VisibilityAttribute; values: VisibilityValue[] }
  | {
      op: 'between' | 'not between';
      attribute: VisibilityAttribute;
      from: VisibilityValue;
      to: VisibilityValue;
    }
  | { op: 'starts_with' | 'not starts_with'; attribute: VisibilityAttribute; prefix: string }
  | { op: 'is null' | 'is not null'; attribute: VisibilityAttribute };

export interface VisibilityFilter {
  workflowId?: string;
  workflowType?: string;
  status?: number;
  /** Inclusive bounds. */
  startTimeFrom?: number;
  startTimeTo?: number;
  closeTimeFrom?: number;
  closeTimeTo?: number;
  /** A parsed query; ANDed with the fields above. */
  condition?: VisibilityCondition;
}

export interface VisibilityStore {
  /** Upserts each record unless the stored stateVersion is newer (equal versions overwrite). */
  upsertVisibility(records: VisibilityRecord[]): Promise<void>;
  /**
   * Temporal's SQL order: open runs first, then by close time, newest first; within those by start time, newest
   * first, then by run id. Cursor pagination with an opaque token.
   */
  listVisibility(
    namespaceId: string,
    filter: VisibilityFilter,
    page: { pageSize: number; pageToken?: string },
  ): Promise<ReadPage<VisibilityRecord>>;
  /** Number of runs matching the filter (CountWorkflowExecutions). */
  countVisibility(namespaceId: string, filter: VisibilityFilter): Promise<number>;
  /** Runs matching the filter per ExecutionStatus (CountWorkflowExecutions … GROUP BY ExecutionStatus). */
  countVisibilityByStatus(
    namespaceId: string,
    filter: VisibilityFilter,
  ): Promise<{ status: number; count: number }[]>;
  /** One run's record (null when absent). */
  getVisibility(namespaceId: string, runId: string): Promise<VisibilityRecord | null>;
  /** Removes a run's record (visibility Delete task); idempotent. */
  deleteVisibility(namespaceId: string, runId: string): Promise<void>;
}

/** A search attribute registered in a namespace (OperatorService AddSearchAttributes). */
export interface SearchAttributeDefinition {
  name: string;
  type: SearchAttributeType;
}

export interface SearchAttributeStore {
  /** The namespace's registered attributes, by name. */
  listSearchAttributes(namespaceId: string): Promise<SearchAttributeDefinition[]>;
  /** Every namespace's registered attributes (GetSearchAttributes names no namespace). */
  listAllSearchAttributes(): Promise<(SearchAttributeDefinition & { namespaceId: string })[]>;
  /** Registers each attribute whose name is not registered yet in the namespace; a registered name is kept as is. */
  addSearchAttributes(
    namespaceId: string,
    definitions: SearchAttributeDefinition[],
    now: number,
  ): Promise<void>;
  /** Unregisters the names (unknown names are ignored). Stored values stay, unseen until the name is added again. */
  removeSearchAttributes(namespaceId: string, names: string[]): Promise<void>;
}

export interface RetentionStore {
  /**
   * Deletes closed runs with close_time < closedBefore (history, execution row, current row if it points at the run,
   * visibility), `batchSize` runs per short transaction, until none is left or the signal aborts. Returns runs deleted.
   */
  deleteClosedExecutions(input: {
    namespaceId: string;
    closedBefore: number;
    batchSize: number;
    signal?: AbortSignal;
  }): Promise<number>;
  /** Runs of the namespace not closed yet (the deleted-namespace worker terminates them), at most `limit`. */
  listOpenExecutions(input: {
    namespaceId: string;
    limit: number;
  }): Promise<{ workflowId: string; runId: string }[]>;
  /** Runs plus visibility records the namespace still has (the deleted-namespace worker waits for none). */
  countNamespaceExecutions(namespaceId: string): Promise<number>;
}

export interface NamespaceStore {
  /** Inserts at version 1; NamespaceAlreadyExistsError when the name or id is taken. */
  createNamespace(record: Omit<NamespaceRecord, 'version'>): Promise<NamespaceRecord>;
  /** CAS on expectedVersion; bumps version. NamespaceNotFoundError / NamespaceVersionConflictError. */
  updateNamespace(
    record: Omit<NamespaceRecord, 'version' | 'createdAt'>,
    expectedVersion: number,
  ): Promise<NamespaceRecord>;
  /** Frontend lookups arrive by name (null when absent). */
  getNamespaceByName(name: string): Promise<NamespaceRecord | null>;
  /** Engine lookups use the id stored in every row (null when absent). */
  getNamespaceById(id: string): Promise<NamespaceRecord | null>;
  /** Ordered by name. */
  listNamespaces(page: { pageSize: number; pageToken?: string }): Promise<ReadPage<NamespaceRecord>>;
  /**
   * Removes a namespace for good, with what is kept per namespace besides its runs: registered search attributes,
   * schedules, batch jobs, task queues and their tasks, data keys. One transaction. The caller deletes the runs
   * first (the deleted-namespace worker). False when it was not there.
   */
  deleteNamespace(id: string): Promise<boolean>;
}

export interface MembershipStore {
  /** Registers or heartbeats a host (insert or overwrite by hostId). */
  upsertMember(record: MembershipRecord): Promise<void>;
  /** Members whose lastHeartbeat >= activeSince, optionally of one role, ordered by hostId. */
  listMembers(input: { role?: string; activeSince: number }): Promise<MembershipRecord[]>;
  /** Deletes members whose recordExpiry < before; returns how many. */
  pruneMembers(before: number): Promise<number>;
}

/** A schedule as stored: Temporal's messages as protobuf bytes, the runner's state as JSON bytes. */
export interface ScheduleRecord {
  namespaceId: string;
  scheduleId: string;
  /** temporal.api.schedule.v1.Schedule. */
  schedule: Uint8Array;
  /** temporal.api.common.v1.Memo. */
  memo: Uint8Array | null;
  /** temporal.api.common.v1.SearchAttributes. */
  searchAttributes: Uint8Array | null;
  /** The runner's state (JSON, owned by the scheduler). */
  state: Uint8Array;
  /** When the system worker must process the schedule next; null when nothing is due ever again. */
  nextWakeTime: number | null;
  /** Compare-and-set token, bumped by every write (not the conflict token clients see: that one is in `state`). */
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface ScheduleStore {
  /** Inserts at version 1; ScheduleAlreadyExistsError when the id is taken in the namespace. */
  createSchedule(record: Omit<ScheduleRecord, 'version'>): Promise<ScheduleRecord>;
  /** Null when absent. */
  getSchedule(namespaceId: string, scheduleId: string): Promise<ScheduleRecord | null>;
  /** CAS on expectedVersion; bumps version. ScheduleNotFoundError / ScheduleVersionConflictError. */
  updateSchedule(
    record: Omit<ScheduleRecord, 'version' | 'createdAt'>,
    expectedVersion: number,
  ): Promise<ScheduleRecord>;
  /** True when a row was deleted. */
  deleteSchedule(namespaceId: string, scheduleId: string): Promise<boolean>;
  /** A namespace's schedules ordered by id. */
  listSchedules(
    namespaceId: string,
    page: { pageSize: number; pageToken?: string },
  ): Promise<ReadPage<ScheduleRecord>>;
  countSchedules(namespaceId: string): Promise<number>;
  /** Schedules whose next wake time is at or before `dueBy`, earliest first. */
  listDueSchedules(dueBy: number, limit: number): Promise<{ namespaceId: string; scheduleId: string }[]>;
}

/** A batch operation job as stored. */
export interface BatchOperationRecord {
  namespaceId: string;
  jobId: string;
  /** temporal.api.enums.v1.BatchOperationType. */
  operationType: number;
  /** temporal.api.workflowservice.v1.StartBatchOperationRequest (a signal's input is in it). */
  request: Uint8Array;
  /** temporal.api.enums.v1.BatchOperationState. */
  state: number;
  identity: string;
  reason: string;
  startTime: number;
  closeTime: number | null;
  totalCount: number;
  completeCount: number;
  failureCount: number;
  /** The system worker's progress (JSON, owned by the batch runner); null before it resolved the executions. */
  progress: Uint8Array | null;
  /** Compare-and-set token, bumped by every write. */
  version: number;
}

export interface BatchOperationStore {
  /** Inserts at version 1; BatchOperationAlreadyExistsError when the job id is taken in the namespace. */
  createBatchOperation(record: Omit<BatchOperationRecord, 'version'>): Promise<BatchOperationRecord>;
  /** Null when absent. */
  getBatchOperation(namespaceId: string, jobId: string): Promise<BatchOperationRecord | null>;
  /**
   * CAS on expectedVersion over everything but the request; returns the record at its new version.
   * BatchOperationVersionConflictError when it changed or went.
   */
  updateBatchOperation(
    record: Omit<BatchOperationRecord, 'version' | 'request'>,
    expectedVersion: number,
  ): Promise<BatchOperationRecord>;
  /** A namespace's jobs ordered by job id. */
  listBatchOperations(
    namespaceId: string,
    page: { pageSize: number; pageToken?: string },
  ): Promise<ReadPage<BatchOperationRecord>>;
  /** How many of a namespace's jobs are in the given state (the frontend's limit on running jobs). */
  countBatchOperationsInState(namespaceId: string, state: number): Promise<number>;
  /** Jobs in the given state across namespaces (the worker's scan), at most `limit`. */
  listBatchOperationsInState(state: number, limit: number): Promise<{ namespaceId: string; jobId: string }[]>;
}

/** One object per database, from `openStore(config)`. */
export interface PersistenceStore {
  readonly dialect: DialectName;
  readonly limits: PersistenceLimits;
  readonly cluster: ClusterStore;
  readonly shards: ShardStore;
  readonly executions: ExecutionStore;
  readonly history: HistoryStore;
  readonly outbox: OutboxStore;
  readonly matching: MatchingStore;
  readonly visibility: VisibilityStore;
  readonly searchAttributes: SearchAttributeStore;
  readonly schedules: ScheduleStore;
  readonly batchOperations: BatchOperationStore;
  readonly retention: RetentionStore;
  readonly namespaces: NamespaceStore;
  readonly membership: MembershipStore;
  /** Schema version the database is at. */
  schemaVersion(): Promise<number>;
  /** Releases the pool / file handle. */
  close(): Promise<void>;
}

export interface StoreConfig {
  /** postgres://, postgresql://, mysql://, sqlite::memory:, sqlite:/path/file.db */
  url: string;
  /** Connections per pool (pg, mysql); default 20. */
  poolSize?: number;
  limits?: Partial<PersistenceLimits>;
  /** Apply pending migrations on open (dev mode). Default false: refuse an old schema with SchemaTooOldError. */
  migrate?: boolean;
  /**
   * PostgreSQL: run hot statements as named prepared statements (default true). Turn off behind PgBouncer in
   * transaction pooling mode before 1.21, which cannot carry prepared statements across server connections.
   */
  preparedStatements?: boolean;
}

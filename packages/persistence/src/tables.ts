/** Kysely row types of the Odin schema (see migrations/ for the DDL and docs/persistence.md for the why). */

/** Kysely Migrator's bookkeeping: one row per applied migration, by name (migrations/list.ts). */
export interface SchemaMigrationsTable {
  name: string;
  /** ISO 8601 time it was applied. */
  timestamp: string;
}

/** The bookkeeping of databases migrated before Migrator: one row per applied version (migrations/legacy.ts). */
export interface SchemaVersionTable {
  version: number;
  description: string;
  applied_at: number;
}

export interface ClusterMetadataTable {
  cluster_name: string;
  shard_count: number;
  created_at: number;
}

export interface ClusterMembershipTable {
  host_id: string;
  role: string;
  rpc_address: string;
  session_start: number;
  last_heartbeat: number;
  record_expiry: number;
}

export interface NamespacesTable {
  id: string;
  name: string;
  state: number;
  description: string;
  owner_email: string;
  retention_ms: number;
  data: Uint8Array | null;
  version: number;
  created_at: number;
  updated_at: number;
}

export interface HistoryShardsTable {
  shard_id: number;
  range_id: number;
  owner_host_id: string;
  lease_expires_at: number;
  updated_at: number;
}

export interface WorkflowExecutionsTable {
  namespace_id: string;
  workflow_id: string;
  run_id: string;
  shard_id: number;
  status: number;
  next_event_id: number;
  db_version: number;
  history_bytes: number;
  state: Uint8Array;
  start_time: number;
  close_time: number | null;
  updated_at: number;
}

export interface CurrentExecutionsTable {
  namespace_id: string;
  workflow_id: string;
  run_id: string;
  shard_id: number;
  create_request_id: string;
  status: number;
  start_time: number;
  close_time: number | null;
}

export interface HistoryEventsTable {
  namespace_id: string;
  workflow_id: string;
  run_id: string;
  event_id: number;
  shard_id: number;
  data: Uint8Array;
}

export interface ImmediateTasksTable {
  shard_id: number;
  task_id: number;
  fire_time: number;
  namespace_id: string;
  workflow_id: string;
  run_id: string;
  task_type: string;
  data: Uint8Array;
}

export type TimerTasksTable = ImmediateTasksTable;

export interface TaskQueuesTable {
  range_hash: number;
  namespace_id: string;
  name: string;
  type: number;
  range_id: number;
  ack_level: number;
  updated_at: number;
}

export interface MatchingTasksTable {
  range_hash: number;
  namespace_id: string;
  task_queue_name: string;
  task_queue_type: number;
  task_id: number;
  data: Uint8Array;
  expires_at: number | null;
  created_at: number;
}

export interface VisibilityRecordsTable {
  namespace_id: string;
  run_id: string;
  workflow_id: string;
  workflow_type: string;
  status: number;
  start_time: number;
  execution_time: number;
  close_time: number | null;
  task_queue: string;
  history_length: number;
  memo: Uint8Array | null;
  search_attributes: unknown;
  parent_workflow_id: string | null;
  parent_run_id: string | null;
  state_version: number;
  // Since migration 0002.
  history_size_bytes: number;
  /** Milliseconds from execution_time to close_time; null while open. */
  execution_duration: number | null;
  root_workflow_id: string | null;
  root_run_id: string | null;
  /** close_time, or CLOSE_ORDER_OPEN while the run is open: the non-null sort key of list order. */
  close_order: number;
}

/**
 * The queryable form of a run's search attributes: one row per scalar value, per KeywordList element and per Text
 * token (a Text value without tokens has one row with no value, so the attribute still counts as set).
 */
export interface VisibilitySearchAttributesTable {
  namespace_id: string;
  run_id: string;
  name: string;
  position: number;
  /** The attribute's type when the row was written; a query reads only rows of the type registered now. */
  type: string;
  /** Keyword values, KeywordList elements, Text tokens. */
  keyword: string | null;
  /** Int values, Bool as 0/1, Datetime as microseconds since the epoch. */
  int_value: number | null;
  double_value: number | null;
}

/** Search attributes registered per namespace (OperatorService AddSearchAttributes). */
export interface SearchAttributesTable {
  namespace_id: string;
  name: string;
  type: string;
  created_at: number;
}

/** One version of a namespace's data key, wrapped by a key-encryption key (since migration 0003). */
export interface NamespaceDataKeysTable {
  namespace_id: string;
  version: number;
  /** The key-encryption key that wrapped it (KeyProvider key id). */
  kek_id: string;
  wrapped_key: Uint8Array;
  created_at: number;
}

/** Schedules (migration 0004): definition and runner state of each, and when the system worker looks next. */
export interface SchedulesTable {
  namespace_id: string;
  schedule_id: string;
  schedule: Uint8Array;
  memo: Uint8Array | null;
  search_attributes: Uint8Array | null;
  state: Uint8Array;
  next_wake_time: number | null;
  version: number;
  created_at: number;
  updated_at: number;
}

/** Batch operations (migration 0005): each job's request, state, counters and the system worker's progress. */
export interface BatchOperationsTable {
  namespace_id: string;
  job_id: string;
  operation_type: number;
  request: Uint8Array;
  state: number;
  identity: string;
  reason: string;
  start_time: number;
  close_time: number | null;
  total_count: number;
  complete_count: number;
  failure_count: number;
  progress: Uint8Array | null;
  version: number;
}

export interface Tables {
  schema_migrations: SchemaMigrationsTable;
  schema_version: SchemaVersionTable;
  cluster_metadata: ClusterMetadataTable;
  cluster_membership: ClusterMembershipTable;
  namespaces: NamespacesTable;
  history_shards: HistoryShardsTable;
  workflow_executions: WorkflowExecutionsTable;
  current_executions: CurrentExecutionsTable;
  history_events: HistoryEventsTable;
  transfer_tasks: ImmediateTasksTable;
  visibility_tasks: ImmediateTasksTable;
  timer_tasks: TimerTasksTable;
  task_queues: TaskQueuesTable;
  matching_tasks: MatchingTasksTable;
  visibility_records: VisibilityRecordsTable;
  visibility_search_attributes: VisibilitySearchAttributesTable;
  search_attributes: SearchAttributesTable;
  namespace_data_keys: NamespaceDataKeysTable;
  schedules: SchedulesTable;
  batch_operations: BatchOperationsTable;
}

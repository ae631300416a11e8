import type { KeyedTable, SqlDialect } from '../dialects/sql-dialect.js';

const ID = 'VARCHAR(128) NOT NULL';
const WORKFLOW_ID = 'VARCHAR(255) NOT NULL';

/** The columns of transfer_tasks and visibility_tasks, as version 1 created them. */
const IMMEDIATE_TASK_COLUMNS = [
  'shard_id INTEGER NOT NULL',
  'task_id INTEGER NOT NULL',
  'fire_time INTEGER NOT NULL',
  `namespace_id ${ID}`,
  `workflow_id ${WORKFLOW_ID}`,
  `run_id ${ID}`,
  'task_type VARCHAR(64) NOT NULL',
  'data BLOB NOT NULL',
];

/**
 * The tables a workflow writes whose rows are small and whose primary key is composite, with the indexes each
 * keeps. history_events loses `history_events_shard_workflow`: no statement reads history by shard (the run's
 * history is read and deleted by its primary key), and it was the B-tree written most per workflow (docs/performance.md,
 * "Pages per workflow on SQLite"). timer_tasks stays a rowid table: its rows arrive in task order but sort by fire
 * time, so keyed by (shard_id, fire_time, task_id) they land at several places of the tree at once and wrote more
 * pages than the rowid table and its small index together (measured, same document).
 */
const KEYED_TABLES: readonly KeyedTable[] = [
  {
    name: 'history_events',
    columns: [
      `namespace_id ${ID}`,
      `workflow_id ${WORKFLOW_ID}`,
      `run_id ${ID}`,
      'event_id INTEGER NOT NULL',
      'shard_id INTEGER NOT NULL',
      'data BLOB NOT NULL',
    ],
    primaryKey: 'namespace_id, workflow_id, run_id, event_id',
    indexes: [],
  },
  {
    name: 'current_executions',
    columns: [
      `namespace_id ${ID}`,
      `workflow_id ${WORKFLOW_ID}`,
      `run_id ${ID}`,
      'shard_id INTEGER NOT NULL',
      `create_request_id ${ID}`,
      'status INTEGER NOT NULL',
      'start_time INTEGER NOT NULL',
      'close_time INTEGER NULL',
    ],
    primaryKey: 'namespace_id, workflow_id',
    indexes: [],
  },
  { name: 'transfer_tasks', columns: IMMEDIATE_TASK_COLUMNS, primaryKey: 'shard_id, task_id', indexes: [] },
  { name: 'visibility_tasks', columns: IMMEDIATE_TASK_COLUMNS, primaryKey: 'shard_id, task_id', indexes: [] },
  {
    name: 'matching_tasks',
    columns: [
      'range_hash INTEGER NOT NULL',
      `namespace_id ${ID}`,
      'task_queue_name VARCHAR(255) NOT NULL',
      'task_queue_type INTEGER NOT NULL',
      'task_id INTEGER NOT NULL',
      'data BLOB NOT NULL',
      'expires_at INTEGER NULL',
      'created_at INTEGER NOT NULL',
    ],
    primaryKey: 'range_hash, namespace_id, task_queue_name, task_queue_type, task_id',
    indexes: [],
  },
];

/**
 * Indexes SQLite is better off without (`dropIndexOnSingleWriter`):
 * - `visibility_by_status` and `visibility_by_type`, `(namespace_id, status | workflow_type, start_time, run_id)`:
 *   version 2's list-order indexes `(namespace_id, status | workflow_type, close_order, start_time, run_id)` serve
 *   their queries. A list or count filtered by status or type searches the same prefix; a StartTime range with it
 *   is checked inside the prefix instead of narrowing it. `visibility_by_start` stays (the only index for a
 *   StartTime range alone), as do `visibility_by_close` (retention) and `visibility_by_workflow_id`.
 * - `workflow_executions_shard`, `(shard_id)`: every statement that names a run's shard names its primary key too.
 */
const INDEXES_TO_DROP = ['visibility_by_status', 'visibility_by_type', 'workflow_executions_shard'];

/**
 * Version 7: fewer B-trees written per workflow, where that is what bounds a commit (SQLite: docs/performance.md,
 * "Pages per workflow on SQLite").
 *
 * - On SQLite each table of KEYED_TABLES was a rowid table plus an index for its primary key, so every insert and
 *   delete wrote two B-trees; they are rebuilt WITHOUT ROWID, rows in the primary key's order, every row kept. The
 *   column declarations are SQLite's as versions 1–6 left them (version 6 changes no SQLite type).
 * - On SQLite the indexes of INDEXES_TO_DROP are dropped.
 *
 * PostgreSQL and MySQL are unchanged (`keyRowsByPrimaryKey`, `dropIndexOnSingleWriter`). Shipped: never edit it; a change
 * is the next migration.
 */
export function rowsInPrimaryKeysSchema(dialect: SqlDialect): string[] {
  return [
    ...KEYED_TABLES.flatMap((table) => dialect.keyRowsByPrimaryKey(table)),
    ...INDEXES_TO_DROP.flatMap((index) => dialect.dropIndexOnSingleWriter(index)),
  ];
}

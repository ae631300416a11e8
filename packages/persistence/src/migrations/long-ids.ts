import type { SqlDialect } from '../dialects/sql-dialect.js';

/** Tables whose only widened column is a NOT NULL workflow_id. */
const WORKFLOW_ID_TABLES = [
  'workflow_executions',
  'current_executions',
  'history_events',
  'transfer_tasks',
  'visibility_tasks',
  'timer_tasks',
];

/**
 * Version 6: ids of up to 1,000 bytes of UTF-8, Temporal's id length limit (MAX_ID_BYTES), where they were
 * VARCHAR(255): every workflow id column (executions, current executions, history, the outboxes, visibility's own,
 * parent and root ids), schedule ids and batch job ids (a batch job is keyed like a workflow in Temporal).
 *
 * The type is the dialect's `id1000`: VARCHAR(1000) on PostgreSQL (a catalog change), nothing on SQLite (declared
 * lengths are not enforced there), VARBINARY(1000) on MySQL, which copies each table once (docs/persistence.md).
 * Existing rows fit: ids were refused above 255 UTF-16 code units, at most 765 bytes of UTF-8, and MySQL converts
 * utf8mb4 text to its bytes unchanged. The indexes over the columns stay as they are, over the new type.
 * Shipped: never edit it; a change is the next migration.
 */
export function longIdsSchema(dialect: SqlDialect): string[] {
  const type = dialect.columnTypes.id1000;
  const required = (column: string) => ({ column, type, nullable: false });
  return [
    ...WORKFLOW_ID_TABLES.flatMap((table) => dialect.alterColumnTypes(table, [required('workflow_id')])),
    ...dialect.alterColumnTypes('visibility_records', [
      required('workflow_id'),
      { column: 'parent_workflow_id', type, nullable: true },
      { column: 'root_workflow_id', type, nullable: true },
    ]),
    ...dialect.alterColumnTypes('schedules', [required('schedule_id')]),
    ...dialect.alterColumnTypes('batch_operations', [required('job_id')]),
  ];
}

import type { IndexDef, SqlDialect } from '../dialects/sql-dialect.js';
import { CLOSE_ORDER_OPEN } from '../visibility/close-order.js';

const ID = 'VARCHAR(128)';
const NAME = 'VARCHAR(255)';

/**
 * Version 2: Temporal's visibility query language and custom search attributes.
 *
 * - visibility_records gets typed columns for the system attributes it lacked (HistorySizeBytes, ExecutionDuration,
 *   RootWorkflowId, RootRunId) and close_order, the non-null sort key of Temporal's list order (close time, open
 *   runs first), with indexes that serve that order alone and after a status filter.
 * - visibility_search_attributes holds each run's search attributes in queryable form, one typed row per value
 *   (per KeywordList element, per Text token), indexed by (namespace, name, value) for each value column.
 * - search_attributes registers attributes per namespace with their type.
 *
 * Existing rows are filled in: close_order from close_time, execution_duration of closed runs, root = the run
 * itself where it has no parent (a child's root is unknown before this version and stays null).
 * Shipped: never edit it; a change is the next migration.
 */
export function searchAttributesSchema(dialect: SqlDialect): string[] {
  const t = dialect.columnTypes;
  const B = t.bigint;
  const addIndex = (table: string, index: IndexDef) => dialect.createIndex(table, index);
  return [
    ...dialect.addColumn('visibility_records', 'history_size_bytes', `${B} NOT NULL DEFAULT 0`),
    ...dialect.addColumn('visibility_records', 'execution_duration', `${B} NULL`),
    ...dialect.addColumn('visibility_records', 'root_workflow_id', `${NAME} NULL`),
    ...dialect.addColumn('visibility_records', 'root_run_id', `${ID} NULL`),
    ...dialect.addColumn('visibility_records', 'close_order', `${B} NOT NULL DEFAULT ${CLOSE_ORDER_OPEN}`),
    `UPDATE visibility_records SET close_order = close_time, execution_duration = close_time - execution_time
     WHERE close_time IS NOT NULL AND close_order = ${CLOSE_ORDER_OPEN}`,
    `UPDATE visibility_records SET root_workflow_id = workflow_id, root_run_id = run_id
     WHERE parent_workflow_id IS NULL AND root_workflow_id IS NULL`,
    ...addIndex('visibility_records', {
      name: 'visibility_order',
      columns: 'namespace_id, close_order, start_time, run_id',
    }),
    ...addIndex('visibility_records', {
      name: 'visibility_status_order',
      columns: 'namespace_id, status, close_order, start_time, run_id',
    }),
    ...addIndex('visibility_records', {
      name: 'visibility_type_order',
      columns: 'namespace_id, workflow_type, close_order, start_time, run_id',
    }),
    ...dialect.createTable(
      'visibility_search_attributes',
      `namespace_id ${ID} NOT NULL, run_id ${ID} NOT NULL, name ${NAME} NOT NULL, position ${t.int} NOT NULL,
       type VARCHAR(16) NOT NULL, keyword ${NAME} NULL, int_value ${B} NULL, double_value ${t.double} NULL,
       PRIMARY KEY (namespace_id, run_id, name, position)`,
      [
        { name: 'vsa_keyword', columns: 'namespace_id, name, keyword' },
        { name: 'vsa_int', columns: 'namespace_id, name, int_value' },
        { name: 'vsa_double', columns: 'namespace_id, name, double_value' },
      ],
    ),
    ...dialect.createTable(
      'search_attributes',
      `namespace_id ${ID} NOT NULL, name ${NAME} NOT NULL, type VARCHAR(16) NOT NULL, created_at ${B} NOT NULL,
       PRIMARY KEY (namespace_id, name)`,
      [],
    ),
  ];
}

import type { SqlDialect } from '../dialects/sql-dialect.js';

const ID = 'VARCHAR(128)';
const NAME = 'VARCHAR(255)';

/**
 * Version 5: batch operations. One row per job: the start request as protobuf bytes (sealed under the namespace's
 * data key when encryption is on: a signal operation carries its input), the job's state and counters, and the
 * system worker's progress as JSON (the executions it resolved and how far it got). Indexed on state: the worker's
 * scan reads only running jobs. `version` is the compare-and-set token of every write. Shipped: never edit it; a
 * change is the next migration.
 */
export function batchOperationsSchema(dialect: SqlDialect): string[] {
  const t = dialect.columnTypes;
  const B = t.bigint;
  return [
    ...dialect.createTable(
      'batch_operations',
      `namespace_id ${ID} NOT NULL, job_id ${NAME} NOT NULL, operation_type ${B} NOT NULL, request ${t.blob} NOT NULL,
       state ${B} NOT NULL, identity ${t.text} NOT NULL, reason ${t.text} NOT NULL, start_time ${B} NOT NULL,
       close_time ${B} NULL, total_count ${B} NOT NULL, complete_count ${B} NOT NULL, failure_count ${B} NOT NULL,
       progress ${t.blob} NULL, version ${B} NOT NULL,
       PRIMARY KEY (namespace_id, job_id)`,
      [{ name: 'batch_operations_state', columns: 'state' }],
    ),
  ];
}

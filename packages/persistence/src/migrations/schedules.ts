import type { SqlDialect } from '../dialects/sql-dialect.js';

const ID = 'VARCHAR(128)';
const NAME = 'VARCHAR(255)';

/**
 * Version 4: schedules. One row per schedule: its definition (Temporal's Schedule message), memo and search
 * attributes as protobuf bytes, the runner's state as JSON, and the time the system worker must look at it next
 * (indexed: the worker's scan reads only due rows). `version` is the compare-and-set token of every write (the
 * runner's passes included; Temporal's conflict token is kept in the state and changes only with updates and patches). Shipped: never edit it; a change is the next migration.
 */
export function schedulesSchema(dialect: SqlDialect): string[] {
  const t = dialect.columnTypes;
  const B = t.bigint;
  return [
    ...dialect.createTable(
      'schedules',
      `namespace_id ${ID} NOT NULL, schedule_id ${NAME} NOT NULL, schedule ${t.blob} NOT NULL,
       memo ${t.blob} NULL, search_attributes ${t.blob} NULL, state ${t.blob} NOT NULL,
       next_wake_time ${B} NULL, version ${B} NOT NULL, created_at ${B} NOT NULL, updated_at ${B} NOT NULL,
       PRIMARY KEY (namespace_id, schedule_id)`,
      [{ name: 'schedules_next_wake', columns: 'next_wake_time' }],
    ),
  ];
}

import type { SqlDialect } from '../dialects/sql-dialect.js';

/**
 * Indexes by shard that no statement reads, on every database. Every statement that touches a run's execution row
 * or its history names the run's primary key; the shard is only ever checked beside it. Yet every insert wrote
 * these indexes, and on PostgreSQL every update of an execution row that is not HOT does too. SQLite lost both in
 * version 7 (`history_events_shard_workflow` with its table's rebuild), so there they are already gone.
 */
const UNREAD_INDEXES = [
  { table: 'history_events', index: 'history_events_shard_workflow' },
  { table: 'workflow_executions', index: 'workflow_executions_shard' },
] as const;

/**
 * Version 8: the indexes of UNREAD_INDEXES dropped. Measured with W1 and W2 on PostgreSQL at 64 in flight, against
 * version 7 in turn (docs/performance.md, eighteenth pass): W2 ran faster in 6 of 6 pairs, W1 in 4 of 6 (the other
 * two level). Shipped: never edit it; a change is the next migration.
 */
export function unreadShardIndexesSchema(dialect: SqlDialect): string[] {
  return UNREAD_INDEXES.flatMap(({ table, index }) => dialect.dropIndex(table, index));
}

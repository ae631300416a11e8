import type { IndexDef, SqlDialect } from '../dialects/sql-dialect.js';

// Ids (namespace ids, run ids, host ids, request ids) and names share sizes chosen for MySQL's 3072-byte index keys.
const ID = 'VARCHAR(128)';
const NAME = 'VARCHAR(255)';

/**
 * Version 1: the whole schema. Every statement is idempotent (IF NOT EXISTS, and on MySQL the indexes are declared
 * inside their CREATE TABLE), so a migration interrupted half-way on MySQL, where DDL commits implicitly, can
 * simply be run again. Shipped: never edit it; a change is the next migration.
 */
export function initialSchema(dialect: SqlDialect): string[] {
  const t = dialect.columnTypes;
  const B = t.bigint;
  const I = t.int;
  const table = (name: string, body: string, indexes: IndexDef[] = []) =>
    dialect.createTable(name, body, indexes);
  const immediateTasks = (name: string) =>
    table(
      name,
      `shard_id ${I} NOT NULL, task_id ${B} NOT NULL, fire_time ${B} NOT NULL,
       namespace_id ${ID} NOT NULL, workflow_id ${NAME} NOT NULL, run_id ${ID} NOT NULL,
       task_type VARCHAR(64) NOT NULL, data ${t.blob} NOT NULL,
       PRIMARY KEY (shard_id, task_id)`,
    );
  return [
    ...table(
      'cluster_metadata',
      `cluster_name ${NAME} NOT NULL PRIMARY KEY, shard_count ${I} NOT NULL, created_at ${B} NOT NULL`,
    ),
    ...table(
      'cluster_membership',
      `host_id ${ID} NOT NULL PRIMARY KEY, role VARCHAR(64) NOT NULL, rpc_address ${NAME} NOT NULL,
       session_start ${B} NOT NULL, last_heartbeat ${B} NOT NULL, record_expiry ${B} NOT NULL`,
      [
        { name: 'cluster_membership_role_heartbeat', columns: 'role, last_heartbeat' },
        { name: 'cluster_membership_expiry', columns: 'record_expiry' },
      ],
    ),
    ...table(
      'namespaces',
      `id ${ID} NOT NULL PRIMARY KEY, name ${NAME} NOT NULL, state ${I} NOT NULL, description ${t.text} NOT NULL,
       owner_email ${NAME} NOT NULL, retention_ms ${B} NOT NULL, data ${t.blob} NULL, version ${B} NOT NULL,
       created_at ${B} NOT NULL, updated_at ${B} NOT NULL`,
      [{ name: 'namespaces_name', columns: 'name', unique: true }],
    ),
    ...table(
      'history_shards',
      `shard_id ${I} NOT NULL PRIMARY KEY, range_id ${B} NOT NULL, owner_host_id ${ID} NOT NULL,
       lease_expires_at ${B} NOT NULL, updated_at ${B} NOT NULL`,
    ),
    ...table(
      'workflow_executions',
      `namespace_id ${ID} NOT NULL, workflow_id ${NAME} NOT NULL, run_id ${ID} NOT NULL, shard_id ${I} NOT NULL,
       status ${I} NOT NULL, next_event_id ${B} NOT NULL, db_version ${B} NOT NULL, history_bytes ${B} NOT NULL,
       state ${t.blob} NOT NULL, start_time ${B} NOT NULL, close_time ${B} NULL, updated_at ${B} NOT NULL,
       PRIMARY KEY (namespace_id, workflow_id, run_id)`,
      [
        { name: 'workflow_executions_shard', columns: 'shard_id' },
        { name: 'workflow_executions_retention', columns: 'namespace_id, close_time' },
      ],
    ),
    ...table(
      'current_executions',
      `namespace_id ${ID} NOT NULL, workflow_id ${NAME} NOT NULL, run_id ${ID} NOT NULL, shard_id ${I} NOT NULL,
       create_request_id ${ID} NOT NULL, status ${I} NOT NULL, start_time ${B} NOT NULL, close_time ${B} NULL,
       PRIMARY KEY (namespace_id, workflow_id)`,
    ),
    ...table(
      'history_events',
      `namespace_id ${ID} NOT NULL, workflow_id ${NAME} NOT NULL, run_id ${ID} NOT NULL, event_id ${B} NOT NULL,
       shard_id ${I} NOT NULL, data ${t.blob} NOT NULL,
       PRIMARY KEY (namespace_id, workflow_id, run_id, event_id)`,
      [{ name: 'history_events_shard_workflow', columns: 'shard_id, namespace_id, workflow_id' }],
    ),
    ...immediateTasks('transfer_tasks'),
    ...immediateTasks('visibility_tasks'),
    ...table(
      'timer_tasks',
      `shard_id ${I} NOT NULL, fire_time ${B} NOT NULL, task_id ${B} NOT NULL,
       namespace_id ${ID} NOT NULL, workflow_id ${NAME} NOT NULL, run_id ${ID} NOT NULL,
       task_type VARCHAR(64) NOT NULL, data ${t.blob} NOT NULL,
       PRIMARY KEY (shard_id, fire_time, task_id)`,
    ),
    ...table(
      'task_queues',
      `range_hash ${B} NOT NULL, namespace_id ${ID} NOT NULL, name ${NAME} NOT NULL, type ${I} NOT NULL,
       range_id ${B} NOT NULL, ack_level ${B} NOT NULL, updated_at ${B} NOT NULL,
       PRIMARY KEY (range_hash, namespace_id, name, type)`,
    ),
    ...table(
      'matching_tasks',
      `range_hash ${B} NOT NULL, namespace_id ${ID} NOT NULL, task_queue_name ${NAME} NOT NULL,
       task_queue_type ${I} NOT NULL, task_id ${B} NOT NULL, data ${t.blob} NOT NULL, expires_at ${B} NULL,
       created_at ${B} NOT NULL,
       PRIMARY KEY (range_hash, namespace_id, task_queue_name, task_queue_type, task_id)`,
    ),
    ...table(
      'visibility_records',
      `namespace_id ${ID} NOT NULL, run_id ${ID} NOT NULL, workflow_id ${NAME} NOT NULL,
       workflow_type ${NAME} NOT NULL, status ${I} NOT NULL, start_time ${B} NOT NULL,
       execution_time ${B} NOT NULL, close_time ${B} NULL, task_queue ${NAME} NOT NULL,
       history_length ${B} NOT NULL, memo ${t.blob} NULL, search_attributes ${t.json} NULL,
       parent_workflow_id ${NAME} NULL, parent_run_id ${ID} NULL, state_version ${B} NOT NULL,
       PRIMARY KEY (namespace_id, run_id)`,
      [
        { name: 'visibility_by_start', columns: 'namespace_id, start_time, run_id' },
        { name: 'visibility_by_status', columns: 'namespace_id, status, start_time, run_id' },
        { name: 'visibility_by_workflow_id', columns: 'namespace_id, workflow_id, start_time' },
        { name: 'visibility_by_type', columns: 'namespace_id, workflow_type, start_time, run_id' },
        { name: 'visibility_by_close', columns: 'namespace_id, close_time' },
      ],
    ),
  ];
}

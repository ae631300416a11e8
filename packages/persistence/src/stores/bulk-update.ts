import { type RawBuilder, sql, type Transaction } from 'kysely';
import type { UpdateTransition } from '../contract.js';
import { toBuffer } from '../codec.js';
import { chunks, type StoreContext } from '../sql-flavor.js';
import type { Tables } from '../tables.js';

/** One update of a group commit, with what validation derived from it. */
export interface BulkUpdateRow {
  t: UpdateTransition;
  /** The shard the run must still belong to (the fence it is written under). */
  shardId: number;
  /** The stored next_event_id this update expects (its first event id). */
  expectedNext: number;
  /** Event bytes it appends. */
  bytes: number;
}

const BULK_CHUNK_ROWS = 100;

/**
 * The compare-and-swap of many runs in one statement: UPDATE … FROM (VALUES …) on PostgreSQL and SQLite, a
 * multi-table UPDATE … JOIN on MySQL. Each row matches only if its own version, next event id and shard still hold.
 * Rows may belong to different shards (a multi-shard commit). Returns how many rows matched; fewer than given means some CAS failed, and the caller re-runs the batch one
 * statement per transition to say exactly which.
 */
export async function bulkUpdateExecutions(
  ctx: StoreContext,
  trx: Transaction<Tables>,
  rows: readonly BulkUpdateRow[],
): Promise<number> {
  let matched = 0;
  for (const chunk of chunks(rows, BULK_CHUNK_ROWS)) {
    const query = ctx.dialect === 'mysql' ? mysqlStatement(ctx, chunk) : valuesStatement(ctx, chunk);
    const r = await query.execute(trx);
    matched += Number(r.numAffectedRows ?? 0n);
  }
  return matched;
}

function values(r: BulkUpdateRow): unknown[] {
  const t = r.t;
  return [
    t.key.namespaceId,
    t.key.workflowId,
    t.key.runId,
    r.shardId,
    t.expectedDbVersion,
    r.expectedNext,
    t.status,
    t.nextEventId,
    t.expectedDbVersion + 1,
    toBuffer(t.state),
    r.bytes,
    t.closeTime !== undefined ? 1 : 0,
    t.closeTime ?? null,
    t.updatedAt !== undefined ? 1 : 0,
    t.updatedAt ?? 0,
  ];
}

const COLUMNS = [
  'namespace_id',
  'workflow_id',
  'run_id',
  'shard_id',
  'expected_version',
  'expected_next',
  'status',
  'next_event_id',
  'new_version',
  'state',
  'bytes',
  'set_close',
  'close_time',
  'set_updated',
  'updated_at',
] as const;

// PostgreSQL infers nothing from untyped parameters inside VALUES, so each one carries its type.
const PG_TYPES = [
  'varchar',
  'varchar',
  'varchar',
  'integer',
  'bigint',
  'bigint',
  'integer',
  'bigint',
  'bigint',
  'bytea',
  'bigint',
  'integer',
  'bigint',
  'integer',
  'bigint',
] as const;

function historyBytesGuard(ctx: StoreContext, v: (c: string) => RawBuilder<unknown>): RawBuilder<unknown> {
  const max = ctx.limits.maxHistoryBytes;
  return max === undefined ? sql`` : sql`AND w.history_bytes + ${v('bytes')} <= ${max}`;
}

function valuesStatement(ctx: StoreContext, rows: readonly BulkUpdateRow[]): RawBuilder<unknown> {
  const pg = ctx.dialect === 'postgres';
  const tuples = rows.map(
    (r) =>
      sql`(${sql.join(
        values(r).map((value, i) => (pg ? sql`${value}::${sql.raw(PG_TYPES[i]!)}` : sql`${value}`)),
      )})`,
  );
  // SQLite names VALUES columns column1…columnN and accepts no column list on the alias.
  const v = (c: string) => sql.raw(pg ? `v.${c}` : `v.column${COLUMNS.indexOf(c as never) + 1}`);
  const alias = pg ? sql.raw(`v(${COLUMNS.join(', ')})`) : sql.raw('v');
  return sql`UPDATE workflow_executions AS w SET
      status = ${v('status')},
      next_event_id = ${v('next_event_id')},
      db_version = ${v('new_version')},
      state = ${v('state')},
      history_bytes = w.history_bytes + ${v('bytes')},
      close_time = CASE WHEN ${v('set_close')} = 1 THEN ${v('close_time')} ELSE w.close_time END,
      updated_at = CASE WHEN ${v('set_updated')} = 1 THEN ${v('updated_at')} ELSE w.updated_at END
    FROM (VALUES ${sql.join(tuples)}) AS ${alias}
    WHERE w.namespace_id = ${v('namespace_id')} AND w.workflow_id = ${v('workflow_id')}
      AND w.run_id = ${v('run_id')} AND w.shard_id = ${v('shard_id')}
      AND w.db_version = ${v('expected_version')} AND w.next_event_id = ${v('expected_next')}
      ${historyBytesGuard(ctx, v)}`;
}

function mysqlStatement(ctx: StoreContext, rows: readonly BulkUpdateRow[]): RawBuilder<unknown> {
  const selects = rows.map((r, i) => {
    const cells = values(r).map((value, c) =>
      i === 0 ? sql`${value} AS ${sql.raw(COLUMNS[c]!)}` : sql`${value}`,
    );
    return sql`SELECT ${sql.join(cells)}`;
  });
  const v = (c: string) => sql.raw(`v.${c}`);
  return sql`UPDATE workflow_executions w
    JOIN (${sql.join(selects, sql` UNION ALL `)}) v
      ON w.namespace_id = v.namespace_id AND w.workflow_id = v.workflow_id AND w.run_id = v.run_id
    SET w.status = v.status,
      w.next_event_id = v.next_event_id,
      w.db_version = v.new_version,
      w.state = v.state,
      w.history_bytes = w.history_bytes + v.bytes,
      w.close_time = CASE WHEN v.set_close = 1 THEN v.close_time ELSE w.close_time END,
      w.updated_at = CASE WHEN v.set_updated = 1 THEN v.updated_at ELSE w.updated_at END
    WHERE w.shard_id = v.shard_id AND w.db_version = v.expected_version AND w.next_event_id = v.expected_next
      ${historyBytesGuard(ctx, v)}`;
}

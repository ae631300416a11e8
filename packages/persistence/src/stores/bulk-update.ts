import { type CompiledQuery, sql, type Transaction } from 'kysely';
import type { UpdateTransition } from '../contract.js';
import { toBuffer } from '../codec.js';
import type { CheckedStatement, RowsUpdate } from '../dialects/sql-dialect.js';
import { chunks, type Executor, type StoreContext } from './context.js';
import { affectedRows, precompiledQuery, rowByRowQuery, runInOrder } from './precompiled.js';
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
 * The compare-and-swap of many runs in one statement (the dialect's many-row UPDATE: UPDATE … FROM (VALUES …) on
 * PostgreSQL and SQLite, UPDATE … JOIN on MySQL). Each row matches only if its own version, next event id and shard
 * still hold. Rows may belong to different shards (a multi-shard commit). Returns how many rows matched; fewer than
 * given means some CAS failed, and the caller re-runs the batch one statement per transition to say exactly which.
 */
export async function bulkUpdateExecutions(
  ctx: StoreContext,
  trx: Transaction<Tables>,
  rows: readonly BulkUpdateRow[],
): Promise<number> {
  const queries = bulkUpdateStatements(ctx, trx, rows).map((s) => s.query);
  const results = await runInOrder(trx, queries);
  return results.reduce((matched, r) => matched + affectedRows(r), 0);
}

/**
 * The statements of bulkUpdateExecutions, without running them, each with the rows it must match: all of its chunk
 * (their affected rows add up to the rows matched).
 */
export function bulkUpdateStatements(
  ctx: StoreContext,
  db: Executor,
  rows: readonly BulkUpdateRow[],
): CheckedStatement[] {
  const max = ctx.limits.maxHistoryBytes;
  const key = `bulkUpdate\u0000${max ?? ''}`;
  // Row by row (SQLite), each row's parameters end with the limit, as the one-row statement's do.
  const rowValues = rows.map(values);
  const perRow = max === undefined ? rowValues : rowValues.map((v) => [...v, max]);
  // The one-row statement is built from the very values the rows carry (the state's Buffer is compared by identity).
  const byRow = rowByRowQuery(ctx, key, perRow.flat(), perRow[0]?.length ?? 0, () =>
    ctx.dialect.updateFromRows(statement(ctx, rowValues.slice(0, 1))).compile(db),
  );
  if (byRow) return [{ query: byRow, expectRows: rows.length }];
  return chunks(rowValues, BULK_CHUNK_ROWS).map((chunk) => {
    const update = statement(ctx, chunk);
    const parameters = update.rows.flat();
    if (max !== undefined) parameters.push(max);
    const query = precompiledQuery(ctx, `${key}\u0000${chunk.length}`, parameters, () =>
      ctx.dialect.updateFromRows(update).compile(db),
    );
    return { query, expectRows: chunk.length };
  });
}

/** The parameters of one row, in COLUMNS order. */
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

const COLUMNS: RowsUpdate['columns'] = [
  { name: 'namespace_id', type: 'varchar' },
  { name: 'workflow_id', type: 'varchar' },
  { name: 'run_id', type: 'varchar' },
  { name: 'shard_id', type: 'integer' },
  { name: 'expected_version', type: 'bigint' },
  { name: 'expected_next', type: 'bigint' },
  { name: 'status', type: 'integer' },
  { name: 'next_event_id', type: 'bigint' },
  { name: 'new_version', type: 'bigint' },
  { name: 'state', type: 'blob' },
  { name: 'bytes', type: 'bigint' },
  { name: 'set_close', type: 'integer' },
  { name: 'close_time', type: 'bigint' },
  { name: 'set_updated', type: 'integer' },
  { name: 'updated_at', type: 'bigint' },
];

/** The CAS update of `rows` (each a row's values, in COLUMNS order). */
function statement(ctx: StoreContext, rows: unknown[][]): RowsUpdate {
  const max = ctx.limits.maxHistoryBytes;
  return {
    table: 'workflow_executions',
    columns: COLUMNS,
    rows,
    key: ['namespace_id', 'workflow_id', 'run_id'],
    set: (v) => [
      ['status', v('status')],
      ['next_event_id', v('next_event_id')],
      ['db_version', v('new_version')],
      ['state', v('state')],
      ['history_bytes', sql`w.history_bytes + ${v('bytes')}`],
      ['close_time', sql`CASE WHEN ${v('set_close')} = 1 THEN ${v('close_time')} ELSE w.close_time END`],
      ['updated_at', sql`CASE WHEN ${v('set_updated')} = 1 THEN ${v('updated_at')} ELSE w.updated_at END`],
    ],
    where: (v) =>
      sql`w.shard_id = ${v('shard_id')} AND w.db_version = ${v('expected_version')}
        AND w.next_event_id = ${v('expected_next')}
        ${max === undefined ? sql`` : sql`AND w.history_bytes + ${v('bytes')} <= ${max}`}`,
  };
}

const CURRENT_COLUMNS: RowsUpdate['columns'] = [
  { name: 'namespace_id', type: 'varchar' },
  { name: 'workflow_id', type: 'varchar' },
  { name: 'run_id', type: 'varchar' },
  { name: 'status', type: 'integer' },
  { name: 'close_time', type: 'bigint' },
];

/**
 * Mirrors the closes of many runs into current_executions in one statement (each row only while it still points at
 * its run), instead of one UPDATE per closed run. Transitions without `updateCurrent` are skipped.
 */
export async function bulkUpdateCurrent(
  ctx: StoreContext,
  trx: Transaction<Tables>,
  transitions: readonly UpdateTransition[],
): Promise<void> {
  await runInOrder(trx, bulkUpdateCurrentQueries(ctx, trx, transitions));
}

/** The statements of bulkUpdateCurrent, without running them. */
export function bulkUpdateCurrentQueries(
  ctx: StoreContext,
  db: Executor,
  transitions: readonly UpdateTransition[],
): CompiledQuery<unknown>[] {
  const all = transitions
    .filter((t) => t.updateCurrent !== undefined)
    .map((t) => [
      t.key.namespaceId,
      t.key.workflowId,
      t.key.runId,
      t.updateCurrent!.status,
      t.updateCurrent!.closeTime ?? null,
    ]);
  const update = (rows: unknown[][]): RowsUpdate => ({
    table: 'current_executions',
    columns: CURRENT_COLUMNS,
    rows,
    key: ['namespace_id', 'workflow_id', 'run_id'],
    set: (v) => [
      ['status', v('status')],
      ['close_time', v('close_time')],
    ],
    where: () => sql`1 = 1`,
  });
  const byRow = rowByRowQuery(ctx, 'bulkUpdateCurrent', all.flat(), CURRENT_COLUMNS.length, () =>
    ctx.dialect.updateFromRows(update(all.slice(0, 1))).compile(db),
  );
  if (byRow) return [byRow];
  return chunks(all, BULK_CHUNK_ROWS).map((rows) =>
    precompiledQuery(ctx, `bulkUpdateCurrent\u0000${rows.length}`, rows.flat(), () =>
      ctx.dialect.updateFromRows(update(rows)).compile(db),
    ),
  );
}

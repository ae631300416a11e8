import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import type { ReadPage, VisibilityFilter, VisibilityRecord, VisibilityStore } from '../contract.js';
import { decodeToken, encodeToken, toBuffer, toBytesOrNull, toNumber, toNumberOrNull } from '../codec.js';
import { checkVisibility } from '../limits.js';
import { chunks, type Executor, type StoreContext } from './context.js';
import type { Tables, VisibilityRecordsTable } from '../tables.js';

const UPDATABLE = [
  'workflow_id',
  'workflow_type',
  'status',
  'start_time',
  'execution_time',
  'close_time',
  'task_queue',
  'history_length',
  'memo',
  'search_attributes',
  'parent_workflow_id',
  'parent_run_id',
] as const;

function toRow(r: VisibilityRecord): VisibilityRecordsTable {
  return {
    namespace_id: r.namespaceId,
    run_id: r.runId,
    workflow_id: r.workflowId,
    workflow_type: r.workflowType,
    status: r.status,
    start_time: r.startTime,
    execution_time: r.executionTime,
    close_time: r.closeTime ?? null,
    task_queue: r.taskQueue,
    history_length: r.historyLength,
    memo: r.memo == null ? null : toBuffer(r.memo),
    search_attributes: r.searchAttributes == null ? null : JSON.stringify(r.searchAttributes),
    parent_workflow_id: r.parentWorkflowId ?? null,
    parent_run_id: r.parentRunId ?? null,
    state_version: r.stateVersion,
  };
}

function fromRow(row: VisibilityRecordsTable): VisibilityRecord {
  const sa = row.search_attributes;
  return {
    namespaceId: row.namespace_id,
    runId: row.run_id,
    workflowId: row.workflow_id,
    workflowType: row.workflow_type,
    status: toNumber(row.status),
    startTime: toNumber(row.start_time),
    executionTime: toNumber(row.execution_time),
    closeTime: toNumberOrNull(row.close_time),
    taskQueue: row.task_queue,
    historyLength: toNumber(row.history_length),
    memo: toBytesOrNull(row.memo),
    searchAttributes:
      sa == null ? null : typeof sa === 'string' ? JSON.parse(sa) : (sa as Record<string, unknown>),
    parentWorkflowId: row.parent_workflow_id,
    parentRunId: row.parent_run_id,
    stateVersion: toNumber(row.state_version),
  };
}

/**
 * Upserts visibility rows, never letting an older stateVersion overwrite a newer one (visibility tasks may be
 * processed out of order). Duplicates within one call collapse to the newest first: one statement may not touch a
 * row twice.
 */
export async function upsertVisibilityRows(
  ctx: StoreContext,
  db: Executor,
  records: readonly VisibilityRecord[],
): Promise<void> {
  const newest = new Map<string, VisibilityRecord>();
  for (const r of records) {
    const k = `${r.namespaceId}\u0000${r.runId}`;
    const seen = newest.get(k);
    if (seen === undefined || seen.stateVersion <= r.stateVersion) newest.set(k, r);
  }
  for (const batch of chunks([...newest.values()].map(toRow), 100)) {
    const insert = db.insertInto('visibility_records').values(batch);
    await ctx.dialect
      .upsertIfNewer(insert, {
        table: 'visibility_records',
        key: ['namespace_id', 'run_id'],
        columns: UPDATABLE,
        version: 'state_version',
      })
      .execute();
  }
}

interface ListToken {
  t: number;
  r: string;
}

function isListToken(v: unknown): v is ListToken {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as ListToken).t === 'number' &&
    typeof (v as ListToken).r === 'string'
  );
}

type VisQuery<O> = SelectQueryBuilder<Tables, 'visibility_records', O>;

function applyFilter<O>(q: VisQuery<O>, namespaceId: string, f: VisibilityFilter): VisQuery<O> {
  let out = q.where('namespace_id', '=', namespaceId);
  if (f.workflowId !== undefined) out = out.where('workflow_id', '=', f.workflowId);
  if (f.workflowType !== undefined) out = out.where('workflow_type', '=', f.workflowType);
  if (f.status !== undefined) out = out.where('status', '=', f.status);
  if (f.startTimeFrom !== undefined) out = out.where('start_time', '>=', f.startTimeFrom);
  if (f.startTimeTo !== undefined) out = out.where('start_time', '<=', f.startTimeTo);
  if (f.closeTimeFrom !== undefined) out = out.where('close_time', '>=', f.closeTimeFrom);
  if (f.closeTimeTo !== undefined) out = out.where('close_time', '<=', f.closeTimeTo);
  return out;
}

export class SqlVisibilityStore implements VisibilityStore {
  constructor(private readonly ctx: StoreContext) {}

  async upsertVisibility(records: VisibilityRecord[]): Promise<void> {
    for (const r of records) checkVisibility(this.ctx.limits, r);
    if (records.length > 0) await upsertVisibilityRows(this.ctx, this.ctx.db, records);
  }

  async listVisibility(
    namespaceId: string,
    filter: VisibilityFilter,
    page: { pageSize: number; pageToken?: string },
  ): Promise<ReadPage<VisibilityRecord>> {
    const pageSize = Math.max(1, Math.floor(page.pageSize));
    let q = applyFilter(this.ctx.db.selectFrom('visibility_records').selectAll(), namespaceId, filter);
    if (page.pageToken !== undefined) {
      const after = decodeToken(page.pageToken, isListToken);
      q = q.where((eb: ExpressionBuilder<Tables, 'visibility_records'>) =>
        eb.or([
          eb('start_time', '<', after.t),
          eb.and([eb('start_time', '=', after.t), eb('run_id', '>', after.r)]),
        ]),
      );
    }
    const rows = await q
      .orderBy('start_time', 'desc')
      .orderBy('run_id', 'asc')
      .limit(pageSize + 1)
      .execute();
    const items = rows.slice(0, pageSize).map(fromRow);
    if (rows.length <= pageSize) return { items };
    const last = items[items.length - 1]!;
    return { items, nextPageToken: encodeToken({ t: last.startTime, r: last.runId }) };
  }

  async countVisibility(namespaceId: string, filter: VisibilityFilter): Promise<number> {
    const row = await applyFilter(
      this.ctx.db.selectFrom('visibility_records').select((eb) => eb.fn.countAll().as('n')),
      namespaceId,
      filter,
    ).executeTakeFirst();
    return toNumber(row?.n ?? 0);
  }

  async getVisibility(namespaceId: string, runId: string): Promise<VisibilityRecord | null> {
    const row = await this.ctx.db
      .selectFrom('visibility_records')
      .selectAll()
      .where('namespace_id', '=', namespaceId)
      .where('run_id', '=', runId)
      .executeTakeFirst();
    return row === undefined ? null : fromRow(row);
  }

  async deleteVisibility(namespaceId: string, runId: string): Promise<void> {
    await this.ctx.db
      .deleteFrom('visibility_records')
      .where('namespace_id', '=', namespaceId)
      .where('run_id', '=', runId)
      .execute();
  }
}

import { CompiledQuery, type ExpressionBuilder, type SelectQueryBuilder, sql } from 'kysely';
import type {
  ReadPage,
  TypedSearchAttribute,
  VisibilityFilter,
  VisibilityRecord,
  VisibilityStore,
} from '../contract.js';
import { decodeToken, encodeToken, toBuffer, toBytesOrNull, toNumber, toNumberOrNull } from '../codec.js';
import { checkVisibility } from '../limits.js';
import type { Tables, VisibilityRecordsTable, VisibilitySearchAttributesTable } from '../tables.js';
import { closeOrder } from '../visibility/close-order.js';
import { nanosToMicros, parseRfc3339Nanos } from '../visibility/datetime.js';
import { isSearchAttributeType } from '../visibility/definitions.js';
import { textTokens } from '../visibility/text-tokens.js';
import { chunks, type Executor, inTransaction, type StoreContext } from './context.js';
import { insertRowsQuery, precompiledQuery, runInOrder } from './precompiled.js';
import { conditionSql } from './visibility-conditions.js';

/**
 * The columns a later record of a run overwrites: those that change while it runs. The others (workflow id and
 * type, start and execution time, task queue, parent and root) are fixed when the run starts, so only the insert
 * writes them. Naming them in the upsert's SET would cost pages for nothing: SQLite rewrites the entry of every
 * index that covers a column in the SET list even when the value is the same, so a run's close re-wrote its
 * `visibility_by_workflow_id` and `visibility_by_start` entries (−2 % WAL frames per W1 workflow without them,
 * docs/performance.md, tenth pass).
 */
const UPDATABLE = [
  'status',
  'close_time',
  'history_length',
  'memo',
  'search_attributes',
  'history_size_bytes',
  'execution_duration',
  'close_order',
] as const;

function toRow(r: VisibilityRecord): VisibilityRecordsTable {
  const closeTime = r.closeTime || null;
  return {
    namespace_id: r.namespaceId,
    run_id: r.runId,
    workflow_id: r.workflowId,
    workflow_type: r.workflowType,
    status: r.status,
    start_time: r.startTime,
    execution_time: r.executionTime,
    close_time: closeTime,
    task_queue: r.taskQueue,
    history_length: r.historyLength,
    memo: r.memo == null ? null : toBuffer(r.memo),
    search_attributes:
      r.searchAttributes == null || Object.keys(r.searchAttributes).length === 0
        ? null
        : JSON.stringify(r.searchAttributes),
    parent_workflow_id: r.parentWorkflowId ?? null,
    parent_run_id: r.parentRunId ?? null,
    state_version: r.stateVersion,
    history_size_bytes: r.historySizeBytes ?? 0,
    execution_duration: r.executionDuration ?? (closeTime === null ? null : closeTime - r.executionTime),
    root_workflow_id: r.rootWorkflowId ?? null,
    root_run_id: r.rootRunId ?? null,
    close_order: closeOrder(closeTime),
  };
}

function isTypedAttribute(v: unknown): v is TypedSearchAttribute {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as TypedSearchAttribute).type === 'string' &&
    isSearchAttributeType((v as TypedSearchAttribute).type) &&
    'value' in v
  );
}

/** Rows written before typed attributes (plain JSON values) carry no type: they are left out. */
function searchAttributesOf(stored: unknown): Record<string, TypedSearchAttribute> | null {
  if (stored == null) return null;
  const parsed = typeof stored === 'string' ? JSON.parse(stored) : stored;
  const out: Record<string, TypedSearchAttribute> = {};
  for (const [name, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (isTypedAttribute(value)) out[name] = value;
  }
  return Object.keys(out).length > 0 ? out : null;
}

function fromRow(row: VisibilityRecordsTable): VisibilityRecord {
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
    historySizeBytes: toNumber(row.history_size_bytes ?? 0),
    executionDuration: toNumberOrNull(row.execution_duration),
    memo: toBytesOrNull(row.memo),
    searchAttributes: searchAttributesOf(row.search_attributes),
    parentWorkflowId: row.parent_workflow_id,
    parentRunId: row.parent_run_id,
    rootWorkflowId: row.root_workflow_id ?? null,
    rootRunId: row.root_run_id ?? null,
    stateVersion: toNumber(row.state_version),
  };
}

/** The queryable rows of a record's search attributes (see VisibilitySearchAttributesTable). */
function attributeRows(r: VisibilityRecord): VisibilitySearchAttributesTable[] {
  const rows: VisibilitySearchAttributesTable[] = [];
  for (const [name, { type, value }] of Object.entries(r.searchAttributes ?? {})) {
    const row = (position: number, values: Partial<VisibilitySearchAttributesTable>): void => {
      rows.push({
        namespace_id: r.namespaceId,
        run_id: r.runId,
        name,
        position,
        type,
        keyword: null,
        int_value: null,
        double_value: null,
        ...values,
      });
    };
    switch (type) {
      case 'Keyword':
        row(0, { keyword: String(value) });
        break;
      case 'KeywordList':
        for (const [i, element] of (Array.isArray(value) ? value : [String(value)]).entries()) {
          row(i, { keyword: element });
        }
        break;
      case 'Text': {
        const tokens = textTokens(String(value));
        if (tokens.length === 0) row(0, {});
        for (const [i, token] of tokens.entries()) row(i, { keyword: token });
        break;
      }
      case 'Int':
        row(0, { int_value: Number(value) });
        break;
      case 'Bool':
        row(0, { int_value: value ? 1 : 0 });
        break;
      case 'Double':
        row(0, { double_value: Number(value) });
        break;
      case 'Datetime': {
        const nanos = parseRfc3339Nanos(String(value));
        if (nanos !== undefined) row(0, { int_value: nanosToMicros(nanos) });
        break;
      }
    }
  }
  return rows;
}

const key = (namespaceId: string, runId: string) => `${namespaceId}\u0000${runId}`;

/** Deletes the visibility rows of runs, their search-attribute rows with them. */
export async function deleteVisibilityRows(
  db: Executor,
  namespaceId: string,
  runIds: readonly string[],
): Promise<void> {
  for (const batch of chunks(runIds, 500)) {
    await db
      .deleteFrom('visibility_search_attributes')
      .where('namespace_id', '=', namespaceId)
      .where('run_id', 'in', batch)
      .execute();
    await db
      .deleteFrom('visibility_records')
      .where('namespace_id', '=', namespaceId)
      .where('run_id', 'in', batch)
      .execute();
  }
}

/**
 * Upserts visibility rows, never letting an older stateVersion overwrite a newer one (visibility tasks may be
 * processed out of order). Duplicates within one call collapse to the newest first: one statement may not touch a
 * row twice. A record that wins also replaces its run's search-attribute rows: the stored versions (and whether
 * the stored row had attributes) are read first, so a run that never had any costs no DELETE.
 */
export async function upsertVisibilityRows(
  ctx: StoreContext,
  db: Executor,
  records: readonly VisibilityRecord[],
): Promise<void> {
  const plan = visibilityUpsertPlan(ctx, db, records);
  const stored = (await runInOrder(db, plan.reads)).map((r) => r.rows);
  await runInOrder(db, plan.writes(stored));
}

/**
 * upsertVisibilityRows as statements built with `db`, in two steps: the reads of the stored versions, then the
 * writes, which depend on the rows those reads returned (in order). For a pipelined transaction.
 */
export function visibilityUpsertPlan(
  ctx: StoreContext,
  db: Executor,
  records: readonly VisibilityRecord[],
): {
  reads: CompiledQuery<unknown>[];
  writes: (stored: readonly (readonly unknown[])[]) => CompiledQuery<unknown>[];
} {
  const newest = newestByRun(records);
  const batches: { namespaceId: string; records: VisibilityRecord[] }[] = [];
  for (const [namespaceId, group] of groupBy(newest, (r) => r.namespaceId)) {
    for (const batch of chunks(group, 500)) batches.push({ namespaceId, records: batch });
  }
  const reads = batches.map(({ namespaceId, records: batch }) => {
    const runIds = batch.map((r) => r.runId);
    return precompiledQuery(ctx, `visibilityVersions\u0000${runIds.length}`, [namespaceId, ...runIds], () =>
      db
        .selectFrom('visibility_records')
        .select([
          'run_id',
          'state_version',
          sql<number>`CASE WHEN search_attributes IS NULL THEN 0 ELSE 1 END`.as('had'),
        ])
        .where('namespace_id', '=', namespaceId)
        .where('run_id', 'in', runIds)
        .compile(),
    );
  });
  const writes = (stored: readonly (readonly unknown[])[]) => {
    const winners = batches.flatMap((batch, i) => recordsThatWin(batch.records, stored[i] ?? []));
    const queries = upsertQueries(ctx, db, newest);
    const stale = winners.filter((w) => w.hadAttributes);
    for (const [namespaceId, group] of groupBy(stale, (w) => w.record.namespaceId)) {
      for (const batch of chunks(group, 500)) {
        queries.push(
          db
            .deleteFrom('visibility_search_attributes')
            .where('namespace_id', '=', namespaceId)
            .where(
              'run_id',
              'in',
              batch.map((w) => w.record.runId),
            )
            .compile(),
        );
      }
    }
    const rows = winners.flatMap((w) => attributeRows(w.record));
    for (const batch of chunks(rows))
      queries.push(db.insertInto('visibility_search_attributes').values(batch).compile());
    return queries;
  };
  return { reads, writes };
}

/**
 * upsertVisibilityRows as statements that depend on no read, for records none of which has search attributes (a
 * pipelined transaction in one write): each upsert also deletes the attribute rows of the runs whose record it
 * applied (`RETURNING` names exactly the records that won: no stored row, or one not newer), which is what a stored
 * record with attributes needs when a record without them replaces it. Undefined when a record has search
 * attributes: their rows are written only for winners, which `visibilityUpsertPlan` reads first.
 *
 * The statement is a data-modifying CTE, PostgreSQL's syntax: only the pipelined commit uses it, and only where the
 * dialect says INSERTs go in a WITH (`insertsInOneStatement`). The CTE's DELETE sees the attribute rows as they were
 * before the statement, which are the ones to drop.
 */
export function visibilityWritesWithoutReads(
  ctx: StoreContext,
  db: Executor,
  records: readonly VisibilityRecord[],
): CompiledQuery<unknown>[] | undefined {
  if (records.some((r) => r.searchAttributes != null && Object.keys(r.searchAttributes).length > 0))
    return undefined;
  return upsertQueries(ctx, db, newestByRun(records)).map((upsert) =>
    CompiledQuery.raw(
      `WITH applied AS (${upsert.sql} RETURNING namespace_id, run_id) ` +
        'DELETE FROM visibility_search_attributes AS a USING applied ' +
        'WHERE a.namespace_id = applied.namespace_id AND a.run_id = applied.run_id',
      [...upsert.parameters],
    ),
  );
}

/** One record per run, the newest: one statement may not touch a row twice. */
function newestByRun(records: readonly VisibilityRecord[]): VisibilityRecord[] {
  const newest = new Map<string, VisibilityRecord>();
  for (const r of records) {
    const k = key(r.namespaceId, r.runId);
    const seen = newest.get(k);
    if (seen === undefined || seen.stateVersion <= r.stateVersion) newest.set(k, r);
  }
  return [...newest.values()];
}

/** The upserts of `newest` (one record per run), each applied only where no newer version is stored. */
function upsertQueries(
  ctx: StoreContext,
  db: Executor,
  newest: readonly VisibilityRecord[],
): CompiledQuery<unknown>[] {
  return chunks(newest.map(toRow), 100).map((batch) =>
    insertRowsQuery(ctx, db, 'visibility_records', batch, {
      name: 'upsertIfNewer',
      finish: (insert) =>
        ctx.dialect.upsertIfNewer(insert, {
          table: 'visibility_records',
          key: ['namespace_id', 'run_id'],
          columns: UPDATABLE,
          version: 'state_version',
        }),
    }),
  );
}

interface Winner {
  record: VisibilityRecord;
  hadAttributes: boolean;
}

/** The records of one batch the upsert will apply (no stored row, or a stored version not above theirs). */
function recordsThatWin(batch: readonly VisibilityRecord[], storedRows: readonly unknown[]): Winner[] {
  const stored = storedRows as { run_id: string; state_version: unknown; had: unknown }[];
  const byRun = new Map(stored.map((s) => [s.run_id, s]));
  const out: Winner[] = [];
  for (const record of batch) {
    const s = byRun.get(record.runId);
    if (s === undefined) out.push({ record, hadAttributes: false });
    else if (toNumber(s.state_version) <= record.stateVersion) {
      out.push({ record, hadAttributes: toNumber(s.had) === 1 });
    }
  }
  return out;
}

function groupBy<T>(items: readonly T[], by: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = by(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/** The last row of a page: the list order's key (close_order, start_time, run_id, all descending). */
interface ListToken {
  c: number;
  s: number;
  r: string;
}

function isListToken(v: unknown): v is ListToken {
  const t = v as ListToken;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof t.c === 'number' &&
    typeof t.s === 'number' &&
    typeof t.r === 'string'
  );
}

type VisQuery<O> = SelectQueryBuilder<Tables & { v: VisibilityRecordsTable }, 'v', O>;

export class SqlVisibilityStore implements VisibilityStore {
  constructor(private readonly ctx: StoreContext) {}

  #select(): VisQuery<object> {
    return this.ctx.db.selectFrom('visibility_records as v') as unknown as VisQuery<object>;
  }

  #filter<O>(q: VisQuery<O>, namespaceId: string, f: VisibilityFilter): VisQuery<O> {
    let out = q.where('v.namespace_id', '=', namespaceId);
    if (f.workflowId !== undefined) out = out.where('v.workflow_id', '=', f.workflowId);
    if (f.workflowType !== undefined) out = out.where('v.workflow_type', '=', f.workflowType);
    if (f.status !== undefined) out = out.where('v.status', '=', f.status);
    if (f.startTimeFrom !== undefined) out = out.where('v.start_time', '>=', f.startTimeFrom);
    if (f.startTimeTo !== undefined) out = out.where('v.start_time', '<=', f.startTimeTo);
    if (f.closeTimeFrom !== undefined) out = out.where('v.close_time', '>=', f.closeTimeFrom);
    if (f.closeTimeTo !== undefined) out = out.where('v.close_time', '<=', f.closeTimeTo);
    if (f.condition !== undefined) out = out.where(conditionSql(f.condition, this.ctx.dialect));
    return out;
  }

  async upsertVisibility(records: VisibilityRecord[]): Promise<void> {
    for (const r of records) checkVisibility(this.ctx.limits, r);
    if (records.length > 0)
      await inTransaction(this.ctx, (trx) => upsertVisibilityRows(this.ctx, trx, records));
  }

  async listVisibility(
    namespaceId: string,
    filter: VisibilityFilter,
    page: { pageSize: number; pageToken?: string },
  ): Promise<ReadPage<VisibilityRecord>> {
    const pageSize = Math.max(1, Math.floor(page.pageSize));
    let q = this.#filter(this.#select().selectAll('v'), namespaceId, filter);
    if (page.pageToken !== undefined) {
      const after = decodeToken(page.pageToken, isListToken);
      q = q.where((eb: ExpressionBuilder<Tables & { v: VisibilityRecordsTable }, 'v'>) =>
        eb.or([
          eb('v.close_order', '<', after.c),
          eb.and([eb('v.close_order', '=', after.c), eb('v.start_time', '<', after.s)]),
          eb.and([
            eb('v.close_order', '=', after.c),
            eb('v.start_time', '=', after.s),
            eb('v.run_id', '<', after.r),
          ]),
        ]),
      );
    }
    const rows = (await q
      .orderBy('v.close_order', 'desc')
      .orderBy('v.start_time', 'desc')
      .orderBy('v.run_id', 'desc')
      .limit(pageSize + 1)
      .execute()) as VisibilityRecordsTable[];
    const items = rows.slice(0, pageSize).map(fromRow);
    if (rows.length <= pageSize) return { items };
    const last = rows[pageSize - 1]!;
    return {
      items,
      nextPageToken: encodeToken({
        c: toNumber(last.close_order),
        s: toNumber(last.start_time),
        r: last.run_id,
      }),
    };
  }

  async countVisibility(namespaceId: string, filter: VisibilityFilter): Promise<number> {
    const row = await this.#filter(
      this.#select().select((eb) => eb.fn.countAll().as('n')),
      namespaceId,
      filter,
    ).executeTakeFirst();
    return toNumber((row as { n?: unknown } | undefined)?.n ?? 0);
  }

  async countVisibilityByStatus(
    namespaceId: string,
    filter: VisibilityFilter,
  ): Promise<{ status: number; count: number }[]> {
    const rows = await this.#filter(
      this.#select().select((eb) => ['v.status', eb.fn.countAll().as('n')]),
      namespaceId,
      filter,
    )
      .groupBy('v.status')
      .orderBy('v.status')
      .execute();
    return (rows as { status: unknown; n: unknown }[]).map((r) => ({
      status: toNumber(r.status),
      count: toNumber(r.n),
    }));
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
    await inTransaction(this.ctx, (trx) => deleteVisibilityRows(trx, namespaceId, [runId]));
  }
}

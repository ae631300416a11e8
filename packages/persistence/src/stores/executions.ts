import { type CompiledQuery, type RawBuilder, sql, type Transaction } from 'kysely';
import {
  type CommitResult,
  type CreateTransition,
  type CurrentExecution,
  CurrentExecutionConflictError,
  DatabaseUnavailableError,
  type ExecutionKey,
  ExecutionAlreadyExistsError,
  ExecutionNotFoundError,
  type ExecutionRecord,
  type ExecutionStore,
  ExecutionVersionConflictError,
  type HistoryEventRow,
  HistoryGapError,
  LimitExceededError,
  type OutboxTask,
  PersistenceError,
  type OutboxAcks,
  type ShardBatch,
  type ShardFence,
  type Transition,
  type UpdateTransition,
  type VisibilityRecord,
} from '../contract.js';
import { toBuffer, toBytes, toNumber, toNumberOrNull } from '../codec.js';
import {
  checkEvents,
  checkHistoryLength,
  checkPayload,
  checkTasks,
  checkVisibility,
  checkWorkflowId,
} from '../limits.js';
import { chunks, type Executor, INSERT_CHUNK_ROWS, inTransaction, type StoreContext } from './context.js';
import type { HistoryEventsTable, ImmediateTasksTable, Tables } from '../tables.js';
import {
  type BulkUpdateRow,
  bulkUpdateCurrent,
  bulkUpdateCurrentQueries,
  bulkUpdateExecutions,
  bulkUpdateStatements,
} from './bulk-update.js';
import { checkShardFence, checkShardFences, heldFencesStatements } from './fence.js';
import { deleteRunDependents } from './run-rows.js';
import {
  affectedRows,
  executePrecompiled,
  insertRows,
  insertRowsQuery,
  insertRowsTogether,
  insertRowsTogetherQueries,
} from './precompiled.js';
import { upsertVisibilityRows, visibilityUpsertPlan, visibilityWritesWithoutReads } from './visibility.js';
import { ackedRowsQueries, deleteAckedRows } from './outbox.js';
import type { CheckedStatement, Insert, TransactionPipeline } from '../dialects/sql-dialect.js';

const TASK_TABLES = {
  transfer: 'transfer_tasks',
  timer: 'timer_tasks',
  visibility: 'visibility_tasks',
} as const;
const TASK_CATEGORIES = ['transfer', 'timer', 'visibility'] as const;

/** Rows a batch appends after all its CAS checks passed: one multi-row INSERT per table instead of one per run. */
interface PendingWrites {
  /** New runs' rows, when the group writes them with its appends (see #commit). */
  executions: Tables['workflow_executions'][];
  events: HistoryEventsTable[];
  tasks: { transfer: ImmediateTasksTable[]; timer: ImmediateTasksTable[]; visibility: ImmediateTasksTable[] };
  visibility: VisibilityRecord[];
}

export class SqlExecutionStore implements ExecutionStore {
  constructor(private readonly ctx: StoreContext) {}

  async commitShardBatch(fence: ShardFence, transitions: Transition[]): Promise<CommitResult> {
    const [result] = await this.#commitBatches([{ fence, transitions }]);
    return result!;
  }

  commitShardBatches(batches: ShardBatch[], acks?: OutboxAcks): Promise<CommitResult[]> {
    return this.#commitBatches(batches, acks);
  }

  /** The one code path of both commits: a single shard is the one-batch case. */
  async #commitBatches(batches: readonly ShardBatch[], acks?: OutboxAcks): Promise<CommitResult[]> {
    if (batches.length === 0) return [];
    // The concatenation of all batches' transitions, validated before a transaction opens; its indexes are the
    // transitionIndex of any error.
    const plan: Planned[] = [];
    for (const { fence, transitions } of batches) {
      for (const t of transitions) {
        plan.push({ fence, t, bytes: withIndex(plan.length, () => this.#validate(fence, t)) });
      }
    }
    if (this.ctx.pipeline && canPipeline(plan)) {
      const committed = await this.#commitPipelined(this.ctx.pipeline, batches, plan, acks);
      if (committed !== null) return committed;
      // Rejected and rolled back (a moved fence, a CAS or a constraint): the ordinary way names the failure.
    }
    if (canBulkUpdate(plan)) {
      try {
        return await this.#commit(batches, plan, true, acks);
      } catch (error) {
        // Some CAS in the one-statement update failed: the transaction rolled back, so re-run it one statement per
        // transition, which names the failing transition precisely (or succeeds if the conflict has cleared).
        if (!(error instanceof BulkCasMismatch)) throw error;
      }
    }
    return this.#commit(batches, plan, false, acks);
  }

  #commit(
    batches: readonly ShardBatch[],
    plan: readonly Planned[],
    bulk: boolean,
    acks: OutboxAcks | undefined,
  ): Promise<CommitResult[]> {
    return inTransaction(this.ctx, async (trx) => {
      const fences = batches.map((b) => b.fence);
      await checkShardFences(this.ctx, trx, fences);
      const pending = emptyPending();
      const dbVersions: number[] = [];
      const bulkRows: BulkUpdateRow[] = [];
      // Where a statement is a round trip, a group's brand-new runs are written together: their current rows in
      // one insert, their run rows with the appends. A conflict in either re-runs the group one by one.
      const deferCreates = bulk && this.ctx.dialect.insertsInOneStatement;
      const newCurrentRows: Tables['current_executions'][] = [];
      for (let i = 0; i < plan.length; i++) {
        const { fence, t, bytes } = plan[i]!;
        if (t.kind === 'create' && deferCreates && t.current.mode === 'brand-new') {
          newCurrentRows.push(currentRow(fence, t));
          pending.executions.push(executionRow(fence, t, bytes));
          dbVersions.push(1);
        } else if (t.kind === 'create') {
          try {
            dbVersions.push(await withIndexAsync(i, () => this.#applyCreate(trx, fence, t, bytes)));
          } catch (error) {
            // An earlier, deferred update might fail too; only the one-by-one run reports the first failure.
            if (bulkRows.length > 0 && error instanceof PersistenceError) throw new BulkCasMismatch();
            throw error;
          }
        } else if (bulk) {
          bulkRows.push({
            t,
            shardId: fence.shardId,
            expectedNext: t.events[0]?.eventId ?? t.nextEventId,
            bytes,
          });
          dbVersions.push(t.expectedDbVersion + 1);
        } else {
          dbVersions.push(await withIndexAsync(i, () => this.#applyUpdate(trx, fence, t, bytes)));
        }
        const key = t.kind === 'create' ? t.execution.key : t.key;
        collect(pending, fence.shardId, key, t.events, t.tasks, t.visibility);
      }
      await this.#insertCurrentRowsIfAbsent(trx, newCurrentRows);
      if (bulkRows.length > 0) {
        const matched = await bulkUpdateExecutions(this.ctx, trx, bulkRows);
        if (matched !== bulkRows.length) throw new BulkCasMismatch();
        await bulkUpdateCurrent(
          this.ctx,
          trx,
          bulkRows.map((row) => row.t),
        );
      }
      await this.#flush(trx, pending);
      if (acks) await deleteAckedRows(this.ctx, trx, acks);
      return resultsByBatch(batches, dbVersions);
    });
  }

  /**
   * The group commit pipelined (see dialects/postgres/pipeline.ts and dialects/sqlite/pipeline.ts): BEGIN, the
   * fence, the current rows of new runs, the CAS updates, the appends, the acks, the visibility writes and COMMIT
   * written at once, the database itself checking every row count the commit needs (the fences held, every current
   * row inserted, every CAS matched). One write and one wait for the whole transaction; two when a visibility record
   * has search attributes (or, on SQLite, any visibility record), whose rows depend on the stored versions read
   * first. Null when any statement or count failed: nothing was written, and the caller re-runs the commit the
   * ordinary way, which reports the failure for its transition.
   */
  async #commitPipelined(
    pipeline: TransactionPipeline,
    batches: readonly ShardBatch[],
    plan: readonly Planned[],
    acks: OutboxAcks | undefined,
  ): Promise<CommitResult[] | null> {
    const ctx = this.ctx;
    const db = ctx.db;
    const pending = emptyPending();
    const newCurrentRows: Tables['current_executions'][] = [];
    const updates: BulkUpdateRow[] = [];
    const dbVersions: number[] = [];
    for (const { fence, t, bytes } of plan) {
      if (t.kind === 'create') {
        newCurrentRows.push(currentRow(fence, t));
        pending.executions.push(executionRow(fence, t, bytes));
        dbVersions.push(1);
      } else {
        updates.push({
          t,
          shardId: fence.shardId,
          expectedNext: t.events[0]?.eventId ?? t.nextEventId,
          bytes,
        });
        dbVersions.push(t.expectedDbVersion + 1);
      }
      const key = t.kind === 'create' ? t.execution.key : t.key;
      collect(pending, fence.shardId, key, t.events, t.tasks, t.visibility);
    }
    const unchecked = (query: CompiledQuery<unknown>): CheckedStatement => ({ query });
    const statements: CheckedStatement[] = [
      ...heldFencesStatements(
        ctx,
        db,
        batches.map((b) => b.fence),
      ),
      ...chunks(newCurrentRows).map((rows) => ({
        query: insertRowsQuery(ctx, db, 'current_executions', rows, INSERT_CURRENT_IF_ABSENT),
        expectRows: rows.length,
      })),
      ...bulkUpdateStatements(ctx, db, updates),
      ...bulkUpdateCurrentQueries(
        ctx,
        db,
        updates.map((u) => u.t),
      ).map(unchecked),
      ...this.#appendQueries(pending).map(unchecked),
      ...(acks ? ackedRowsQueries(ctx, db, acks) : []).map(unchecked),
    ];
    const committed = resultsByBatch(batches, dbVersions);
    // Visibility writes without reads take a data-modifying CTE, which goes with INSERTs in a WITH (PostgreSQL);
    // elsewhere the stored versions are read first, which costs SQLite no round trip.
    const visibilityWrites =
      pending.visibility.length === 0
        ? []
        : ctx.dialect.insertsInOneStatement
          ? visibilityWritesWithoutReads(ctx, db, pending.visibility)
          : undefined;
    if (visibilityWrites) {
      const done = await pipeline.commitInOneWrite([...statements, ...visibilityWrites.map(unchecked)]);
      return done ? committed : null;
    }
    const visibility = visibilityUpsertPlan(ctx, db, pending.visibility);
    return pipeline.run([...statements, ...visibility.reads.map(unchecked)], (results) => {
      const stored = results.slice(results.length - visibility.reads.length).map((r) => r.rows);
      return { statements: visibility.writes(stored), value: committed };
    });
  }

  /** The appends of #flush (without visibility) as statements. */
  #appendQueries(pending: PendingWrites): CompiledQuery<unknown>[] {
    const db = this.ctx.db;
    const fitOneStatement =
      pending.executions.length <= INSERT_CHUNK_ROWS &&
      pending.events.length <= INSERT_CHUNK_ROWS &&
      TASK_CATEGORIES.every((c) => pending.tasks[c].length <= INSERT_CHUNK_ROWS);
    if (this.ctx.dialect.insertsInOneStatement && fitOneStatement) {
      return insertRowsTogetherQueries(this.ctx, db, [
        { table: 'workflow_executions', rows: pending.executions },
        { table: 'history_events', rows: pending.events },
        ...TASK_CATEGORIES.map((c) => ({ table: TASK_TABLES[c], rows: pending.tasks[c] })),
      ]);
    }
    const tables: [string, readonly object[]][] = [
      ['workflow_executions', pending.executions],
      ['history_events', pending.events],
      ...TASK_CATEGORIES.map((c): [string, readonly object[]] => [TASK_TABLES[c], pending.tasks[c]]),
    ];
    return tables.flatMap(([table, rows]) =>
      chunks(rows).map((chunk) => insertRowsQuery(this.ctx, db, table, chunk)),
    );
  }

  createWorkflowExecution(fence: ShardFence, t: CreateTransition): Promise<CommitResult> {
    return this.commitShardBatch(fence, [t]);
  }

  updateWorkflowExecution(fence: ShardFence, t: UpdateTransition): Promise<CommitResult> {
    return this.commitShardBatch(fence, [t]);
  }

  async deleteWorkflowExecution(fence: ShardFence, key: ExecutionKey): Promise<void> {
    await inTransaction(this.ctx, async (trx) => {
      await checkShardFence(this.ctx, trx, fence);
      await trx
        .deleteFrom('workflow_executions')
        .where('namespace_id', '=', key.namespaceId)
        .where('workflow_id', '=', key.workflowId)
        .where('run_id', '=', key.runId)
        .execute();
      await deleteRunDependents(trx, key);
    });
  }

  async getExecution(key: ExecutionKey): Promise<ExecutionRecord | null> {
    const row = await this.ctx.db
      .selectFrom('workflow_executions')
      .selectAll()
      .where('namespace_id', '=', key.namespaceId)
      .where('workflow_id', '=', key.workflowId)
      .where('run_id', '=', key.runId)
      .executeTakeFirst();
    if (row === undefined) return null;
    return {
      key: { namespaceId: row.namespace_id, workflowId: row.workflow_id, runId: row.run_id },
      shardId: toNumber(row.shard_id),
      status: toNumber(row.status),
      nextEventId: toNumber(row.next_event_id),
      dbVersion: toNumber(row.db_version),
      state: toBytes(row.state),
      startTime: toNumber(row.start_time),
      closeTime: toNumberOrNull(row.close_time),
      updatedAt: toNumber(row.updated_at),
      historyBytes: toNumber(row.history_bytes),
    };
  }

  getCurrentExecution(namespaceId: string, workflowId: string): Promise<CurrentExecution | null> {
    return readCurrent(this.ctx.db, namespaceId, workflowId, undefined, this.ctx);
  }

  /** Everything checkable without the database, so a bad transition fails before a transaction opens. */
  #validate(fence: ShardFence, t: Transition): number {
    if (t.kind === 'create' && t.execution.shardId !== fence.shardId) {
      // A run created under another shard's fence would be invisible to its real owner: an engine bug.
      throw new RangeError(
        `create of shard ${t.execution.shardId} run under the fence of shard ${fence.shardId}`,
      );
    }
    const limits = this.ctx.limits;
    const key = t.kind === 'create' ? t.execution.key : t.key;
    checkWorkflowId(key.workflowId);
    const bytes = checkEvents(limits, t.events);
    if (limits.maxHistoryBytes !== undefined && bytes > limits.maxHistoryBytes) {
      throw new LimitExceededError('maxHistoryBytes', bytes, limits.maxHistoryBytes);
    }
    checkTasks(limits, t.tasks);
    checkVisibility(limits, t.visibility);
    const next = t.kind === 'create' ? t.execution.nextEventId : t.nextEventId;
    checkHistoryLength(limits, next);
    checkPayload(limits, t.kind === 'create' ? t.execution.state : t.state);
    const first = t.kind === 'create' ? 1 : (t.events[0]?.eventId ?? next);
    checkContiguous(key, t.events, first, next);
    return bytes;
  }

  async #applyCreate(
    trx: Transaction<Tables>,
    fence: ShardFence,
    t: CreateTransition,
    bytes: number,
  ): Promise<number> {
    const e = t.execution;
    const key = e.key;
    if (t.current.mode === 'brand-new') {
      if (!(await this.#insertCurrentIfAbsent(trx, currentRow(fence, t))))
        throw await conflict(this.ctx, trx, key);
    } else {
      const r = await trx
        .updateTable('current_executions')
        .set({
          run_id: key.runId,
          shard_id: fence.shardId,
          create_request_id: t.createRequestId,
          status: e.status,
          start_time: e.startTime,
          close_time: e.closeTime ?? null,
        })
        .where('namespace_id', '=', key.namespaceId)
        .where('workflow_id', '=', key.workflowId)
        .where('run_id', '=', t.current.expectedCurrentRunId)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw await conflict(this.ctx, trx, key);
    }
    try {
      await insertRows(this.ctx, trx, 'workflow_executions', [executionRow(fence, t, bytes)]);
    } catch (error) {
      if (this.ctx.dialect.isUniqueViolation(error)) throw new ExecutionAlreadyExistsError(key);
      throw error;
    }
    return 1;
  }

  /**
   * The current rows of a group's brand-new runs in one INSERT that skips existing rows; any row skipped means a
   * conflict, and the group is re-run one statement per transition, which reports it for its transition.
   */
  async #insertCurrentRowsIfAbsent(trx: Transaction<Tables>, rows: readonly Tables['current_executions'][]) {
    for (const chunk of chunks(rows)) {
      const inserted = await insertRows(this.ctx, trx, 'current_executions', chunk, INSERT_CURRENT_IF_ABSENT);
      if (inserted !== chunk.length) throw new BulkCasMismatch();
    }
  }

  /** Inserts the current row unless one exists; false when it existed (the caller reports the conflict). */
  async #insertCurrentIfAbsent(
    trx: Transaction<Tables>,
    row: Tables['current_executions'],
  ): Promise<boolean> {
    if (this.ctx.dialect.skipsConflictsInStatement)
      return (await insertRows(this.ctx, trx, 'current_executions', [row], INSERT_CURRENT_IF_ABSENT)) === 1;
    return this.ctx.dialect.insertIfAbsent(trx.insertInto('current_executions').values(row), [
      'namespace_id',
      'workflow_id',
    ]);
  }

  async #applyUpdate(
    trx: Transaction<Tables>,
    fence: ShardFence,
    t: UpdateTransition,
    bytes: number,
  ): Promise<number> {
    const key = t.key;
    const expectedNext = t.events[0]?.eventId ?? t.nextEventId;
    const maxBytes = this.ctx.limits.maxHistoryBytes;
    const limited = maxBytes !== undefined && bytes > 0;
    const state = toBuffer(t.state);
    // The statement's shape depends only on which optional columns and conditions it has; its parameters are listed
    // in the order Kysely binds them (SET, then WHERE), which executePrecompiled checks before caching the shape.
    const parameters: unknown[] = [t.status, t.nextEventId, t.expectedDbVersion + 1, state, bytes];
    if (t.closeTime !== undefined) parameters.push(t.closeTime);
    if (t.updatedAt !== undefined) parameters.push(t.updatedAt);
    parameters.push(
      key.namespaceId,
      key.workflowId,
      key.runId,
      fence.shardId,
      t.expectedDbVersion,
      expectedNext,
    );
    if (limited) parameters.push(bytes, maxBytes);
    const shape = `applyUpdate:${t.closeTime !== undefined ? 'c' : ''}${t.updatedAt !== undefined ? 'u' : ''}${limited ? 'l' : ''}`;
    const r = await executePrecompiled(this.ctx, trx, shape, parameters, () => {
      let q = trx
        .updateTable('workflow_executions')
        .set({
          status: t.status,
          next_event_id: t.nextEventId,
          db_version: t.expectedDbVersion + 1,
          state,
          history_bytes: sql<number>`history_bytes + ${bytes}`,
          ...(t.closeTime !== undefined ? { close_time: t.closeTime } : {}),
          ...(t.updatedAt !== undefined ? { updated_at: t.updatedAt } : {}),
        })
        .where('namespace_id', '=', key.namespaceId)
        .where('workflow_id', '=', key.workflowId)
        .where('run_id', '=', key.runId)
        .where('shard_id', '=', fence.shardId)
        .where('db_version', '=', t.expectedDbVersion)
        .where('next_event_id', '=', expectedNext);
      if (limited) q = q.where(sql<number>`history_bytes + ${bytes}`, '<=', maxBytes);
      return q.compile();
    });
    if (affectedRows(r) !== 1) throw await this.#diagnoseUpdate(trx, fence, t, expectedNext, bytes);
    await this.#updateCurrent(trx, t);
    return t.expectedDbVersion + 1;
  }

  /** Mirrors a close into current_executions, only while it still points at this run. */
  async #updateCurrent(trx: Transaction<Tables>, t: UpdateTransition): Promise<void> {
    const update = t.updateCurrent;
    if (update === undefined) return;
    const closeTime = update.closeTime ?? null;
    const { namespaceId, workflowId, runId } = t.key;
    await executePrecompiled(
      this.ctx,
      trx,
      'updateCurrent',
      [update.status, closeTime, namespaceId, workflowId, runId],
      () =>
        trx
          .updateTable('current_executions')
          .set({ status: update.status, close_time: closeTime })
          .where('namespace_id', '=', namespaceId)
          .where('workflow_id', '=', workflowId)
          .where('run_id', '=', runId)
          .compile(),
    );
  }

  /** The CAS matched no row: say precisely why, so the engine knows whether to reload, drop or refuse. */
  async #diagnoseUpdate(
    trx: Transaction<Tables>,
    fence: ShardFence,
    t: UpdateTransition,
    expectedNext: number,
    bytes: number,
  ): Promise<PersistenceError> {
    const row = await trx
      .selectFrom('workflow_executions')
      .select(['shard_id', 'db_version', 'next_event_id', 'history_bytes'])
      .where('namespace_id', '=', t.key.namespaceId)
      .where('workflow_id', '=', t.key.workflowId)
      .where('run_id', '=', t.key.runId)
      .executeTakeFirst();
    if (row === undefined || toNumber(row.shard_id) !== fence.shardId)
      return new ExecutionNotFoundError(t.key);
    const version = toNumber(row.db_version);
    if (version !== t.expectedDbVersion)
      return new ExecutionVersionConflictError(t.key, t.expectedDbVersion, version);
    const next = toNumber(row.next_event_id);
    if (next !== expectedNext) return new HistoryGapError(t.key, next, expectedNext);
    const max = this.ctx.limits.maxHistoryBytes ?? Number.MAX_SAFE_INTEGER;
    return new LimitExceededError('maxHistoryBytes', toNumber(row.history_bytes) + bytes, max);
  }

  async #flush(trx: Transaction<Tables>, pending: PendingWrites): Promise<void> {
    const fitOneStatement =
      pending.executions.length <= INSERT_CHUNK_ROWS &&
      pending.events.length <= INSERT_CHUNK_ROWS &&
      TASK_CATEGORIES.every((c) => pending.tasks[c].length <= INSERT_CHUNK_ROWS);
    try {
      if (this.ctx.dialect.insertsInOneStatement && fitOneStatement) {
        await insertRowsTogether(this.ctx, trx, [
          { table: 'workflow_executions', rows: pending.executions },
          { table: 'history_events', rows: pending.events },
          ...TASK_CATEGORIES.map((c) => ({ table: TASK_TABLES[c], rows: pending.tasks[c] })),
        ]);
      } else {
        await this.#insertEach(trx, pending);
      }
    } catch (error) {
      // A new run's row already there: the one-by-one re-run names the transition.
      if (pending.executions.length > 0 && this.ctx.dialect.isUniqueViolation(error))
        throw new BulkCasMismatch();
      throw error;
    }
    if (pending.visibility.length > 0) await upsertVisibilityRows(this.ctx, trx, pending.visibility);
  }

  /** The appends one multi-row INSERT per table (and per chunk of rows). */
  async #insertEach(trx: Transaction<Tables>, pending: PendingWrites): Promise<void> {
    for (const rows of chunks(pending.executions))
      await insertRows(this.ctx, trx, 'workflow_executions', rows);
    for (const rows of chunks(pending.events)) await insertRows(this.ctx, trx, 'history_events', rows);
    for (const category of TASK_CATEGORIES) {
      for (const rows of chunks(pending.tasks[category])) {
        await insertRows(this.ctx, trx, TASK_TABLES[category], rows);
      }
    }
  }
}

function currentRow(fence: ShardFence, t: CreateTransition): Tables['current_executions'] {
  const e = t.execution;
  return {
    namespace_id: e.key.namespaceId,
    workflow_id: e.key.workflowId,
    run_id: e.key.runId,
    shard_id: fence.shardId,
    create_request_id: t.createRequestId,
    status: e.status,
    start_time: e.startTime,
    close_time: e.closeTime ?? null,
  };
}

function executionRow(fence: ShardFence, t: CreateTransition, bytes: number): Tables['workflow_executions'] {
  const e = t.execution;
  return {
    namespace_id: e.key.namespaceId,
    workflow_id: e.key.workflowId,
    run_id: e.key.runId,
    shard_id: fence.shardId,
    status: e.status,
    next_event_id: e.nextEventId,
    db_version: 1,
    history_bytes: bytes,
    state: toBuffer(e.state),
    start_time: e.startTime,
    close_time: e.closeTime ?? null,
    updated_at: e.updatedAt,
  };
}

/** One transition of the concatenated batches, with the fence it is written under and the event bytes it appends. */
interface Planned {
  fence: ShardFence;
  t: Transition;
  bytes: number;
}

/** Each batch's share of the commit's new db versions, in batch order. */
function resultsByBatch(batches: readonly ShardBatch[], dbVersions: readonly number[]): CommitResult[] {
  const results: CommitResult[] = [];
  let offset = 0;
  for (const b of batches) {
    results.push({ dbVersions: dbVersions.slice(offset, offset + b.transitions.length) });
    offset += b.transitions.length;
  }
  return results;
}

function emptyPending(): PendingWrites {
  return { executions: [], events: [], tasks: { transfer: [], timer: [], visibility: [] }, visibility: [] };
}

/** A new run's current row, unless its workflow id already has one (a conflict the ordinary way reports). */
const INSERT_CURRENT_IF_ABSENT = {
  name: 'insertIfAbsent',
  finish: (insert: Insert<'current_executions'>) =>
    insert.onConflict((oc) => oc.columns(['namespace_id', 'workflow_id']).doNothing()),
};

/**
 * A pipelined commit needs every statement known before any result: each run appears once (a run's second
 * transition depends on its first) and every new run is brand-new (the others read the run they replace).
 */
function canPipeline(plan: readonly Planned[]): boolean {
  const seen = new Set<string>();
  for (const { t } of plan) {
    if (t.kind === 'create' && t.current.mode !== 'brand-new') return false;
    const k = t.kind === 'create' ? t.execution.key : t.key;
    const id = `${k.namespaceId}\u0000${k.workflowId}\u0000${k.runId}`;
    if (seen.has(id)) return false;
    seen.add(id);
  }
  return true;
}

/** Thrown inside the transaction to roll back a group commit whose one-statement CAS did not match every run. */
class BulkCasMismatch extends Error {}

/**
 * The one-statement CAS applies when a commit (of one shard or several) updates at least two runs and no run
 * appears twice (a run's second transition depends on its first) or is created in the same commit.
 */
function canBulkUpdate(plan: readonly Planned[]): boolean {
  const seen = new Set<string>();
  let updates = 0;
  for (const { t } of plan) {
    const k = t.kind === 'create' ? t.execution.key : t.key;
    const id = `${k.namespaceId}\u0000${k.workflowId}\u0000${k.runId}`;
    if (seen.has(id)) return false;
    seen.add(id);
    if (t.kind === 'update') updates++;
  }
  return updates >= 2;
}

function collect(
  pending: PendingWrites,
  shardId: number,
  key: ExecutionKey,
  events: readonly HistoryEventRow[],
  tasks: readonly OutboxTask[],
  visibility: VisibilityRecord | undefined,
): void {
  for (const e of events) {
    pending.events.push({
      namespace_id: key.namespaceId,
      workflow_id: key.workflowId,
      run_id: key.runId,
      event_id: e.eventId,
      shard_id: shardId,
      data: toBuffer(e.data),
    });
  }
  for (const task of tasks) {
    pending.tasks[task.category].push({
      shard_id: shardId,
      task_id: task.taskId,
      fire_time: task.fireTime,
      namespace_id: task.namespaceId,
      workflow_id: task.workflowId,
      run_id: task.runId,
      task_type: task.taskType,
      data: toBuffer(task.data),
    });
  }
  if (visibility !== undefined) pending.visibility.push(visibility);
}

function checkContiguous(
  key: ExecutionKey,
  events: readonly HistoryEventRow[],
  first: number,
  next: number,
): void {
  let expected = first;
  for (const e of events) {
    if (e.eventId !== expected) throw new HistoryGapError(key, expected, e.eventId);
    expected++;
  }
  if (next !== expected) throw new HistoryGapError(key, expected, next);
}

export async function readCurrent(
  db: Executor,
  namespaceId: string,
  workflowId: string,
  lock?: RawBuilder<unknown>,
  /** Given when the statement may come from the precompiled shapes of this store (no lock). */
  precompiledFor?: StoreContext,
): Promise<CurrentExecution | null> {
  const build = () => {
    const q = db
      .selectFrom('current_executions')
      .selectAll()
      .where('namespace_id', '=', namespaceId)
      .where('workflow_id', '=', workflowId);
    return lock === undefined ? q : q.modifyEnd(lock);
  };
  const row =
    lock === undefined && precompiledFor !== undefined
      ? (
          await executePrecompiled(precompiledFor, db, 'readCurrent', [namespaceId, workflowId], () =>
            build().compile(),
          )
        ).rows[0]
      : await build().executeTakeFirst();
  if (row === undefined) return null;
  return {
    namespaceId: row.namespace_id,
    workflowId: row.workflow_id,
    runId: row.run_id,
    createRequestId: row.create_request_id,
    status: toNumber(row.status),
    startTime: toNumber(row.start_time),
    closeTime: toNumberOrNull(row.close_time),
  };
}

/** Reads the current row (locking, so it is the latest committed one) to describe why a create was refused. */
async function conflict(
  ctx: StoreContext,
  trx: Transaction<Tables>,
  key: ExecutionKey,
): Promise<CurrentExecutionConflictError> {
  const current = await readCurrent(trx, key.namespaceId, key.workflowId, ctx.dialect.lockForShare);
  return new CurrentExecutionConflictError(
    key.namespaceId,
    key.workflowId,
    current?.runId ?? '',
    current?.createRequestId ?? '',
    current?.status ?? 0,
    current?.startTime ?? 0,
  );
}

/** Names the failing transition; a lost database is nobody's fault, so it stays untagged (outcome unknown). */
function tag<E>(index: number, error: E): E {
  if (error instanceof PersistenceError && !(error instanceof DatabaseUnavailableError)) {
    error.transitionIndex = index;
  }
  return error;
}

function withIndex<T>(index: number, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw tag(index, error);
  }
}

async function withIndexAsync<T>(index: number, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw tag(index, error);
  }
}

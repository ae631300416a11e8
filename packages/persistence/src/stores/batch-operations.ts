import {
  decodeToken,
  encodeToken,
  toBuffer,
  toBytes,
  toBytesOrNull,
  toNumber,
  toNumberOrNull,
} from '../codec.js';
import {
  BatchOperationAlreadyExistsError,
  type BatchOperationRecord,
  type BatchOperationStore,
  BatchOperationVersionConflictError,
  type ReadPage,
} from '../contract.js';
import { checkPayload } from '../limits.js';
import type { BatchOperationsTable } from '../tables.js';
import type { StoreContext } from './context.js';

function fromRow(row: BatchOperationsTable): BatchOperationRecord {
  return {
    namespaceId: row.namespace_id,
    jobId: row.job_id,
    operationType: toNumber(row.operation_type),
    request: toBytes(row.request),
    state: toNumber(row.state),
    identity: row.identity,
    reason: row.reason,
    startTime: toNumber(row.start_time),
    closeTime: toNumberOrNull(row.close_time),
    totalCount: toNumber(row.total_count),
    completeCount: toNumber(row.complete_count),
    failureCount: toNumber(row.failure_count),
    progress: toBytesOrNull(row.progress),
    version: toNumber(row.version),
  };
}

function isIdToken(v: unknown): v is { s: string } {
  return typeof v === 'object' && v !== null && typeof (v as { s?: unknown }).s === 'string';
}

export class SqlBatchOperationStore implements BatchOperationStore {
  constructor(private readonly ctx: StoreContext) {}

  async createBatchOperation(record: Omit<BatchOperationRecord, 'version'>): Promise<BatchOperationRecord> {
    checkPayload(this.ctx.limits, record.request);
    try {
      await this.ctx.db
        .insertInto('batch_operations')
        .values({
          namespace_id: record.namespaceId,
          job_id: record.jobId,
          operation_type: record.operationType,
          request: toBuffer(record.request),
          state: record.state,
          identity: record.identity,
          reason: record.reason,
          start_time: record.startTime,
          close_time: record.closeTime,
          total_count: record.totalCount,
          complete_count: record.completeCount,
          failure_count: record.failureCount,
          progress: record.progress === null ? null : toBuffer(record.progress),
          version: 1,
        })
        .execute();
    } catch (error) {
      if (this.ctx.dialect.isUniqueViolation(error)) throw new BatchOperationAlreadyExistsError(record.jobId);
      throw error;
    }
    return { ...record, version: 1 };
  }

  async getBatchOperation(namespaceId: string, jobId: string): Promise<BatchOperationRecord | null> {
    const row = await this.ctx.db
      .selectFrom('batch_operations')
      .selectAll()
      .where('namespace_id', '=', namespaceId)
      .where('job_id', '=', jobId)
      .executeTakeFirst();
    return row === undefined ? null : fromRow(row);
  }

  async updateBatchOperation(
    record: Omit<BatchOperationRecord, 'version' | 'request'>,
    expectedVersion: number,
  ): Promise<BatchOperationRecord> {
    if (record.progress !== null) checkPayload(this.ctx.limits, record.progress);
    const result = await this.ctx.db
      .updateTable('batch_operations')
      .set({
        state: record.state,
        identity: record.identity,
        reason: record.reason,
        close_time: record.closeTime,
        total_count: record.totalCount,
        complete_count: record.completeCount,
        failure_count: record.failureCount,
        progress: record.progress === null ? null : toBuffer(record.progress),
        version: expectedVersion + 1,
      })
      .where('namespace_id', '=', record.namespaceId)
      .where('job_id', '=', record.jobId)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1)
      throw new BatchOperationVersionConflictError(record.jobId, expectedVersion);
    const after = await this.getBatchOperation(record.namespaceId, record.jobId);
    if (after === null) throw new BatchOperationVersionConflictError(record.jobId, expectedVersion);
    return after;
  }

  async listBatchOperations(
    namespaceId: string,
    page: { pageSize: number; pageToken?: string },
  ): Promise<ReadPage<BatchOperationRecord>> {
    const pageSize = Math.max(1, Math.floor(page.pageSize));
    let q = this.ctx.db.selectFrom('batch_operations').selectAll().where('namespace_id', '=', namespaceId);
    if (page.pageToken !== undefined) q = q.where('job_id', '>', decodeToken(page.pageToken, isIdToken).s);
    const rows = await q
      .orderBy('job_id')
      .limit(pageSize + 1)
      .execute();
    const items = rows.slice(0, pageSize).map(fromRow);
    if (rows.length <= pageSize) return { items };
    return { items, nextPageToken: encodeToken({ s: items[items.length - 1]!.jobId }) };
  }

  async countBatchOperationsInState(namespaceId: string, state: number): Promise<number> {
    const row = await this.ctx.db
      .selectFrom('batch_operations')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('namespace_id', '=', namespaceId)
      .where('state', '=', state)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async listBatchOperationsInState(
    state: number,
    limit: number,
  ): Promise<{ namespaceId: string; jobId: string }[]> {
    const rows = await this.ctx.db
      .selectFrom('batch_operations')
      .select(['namespace_id', 'job_id'])
      .where('state', '=', state)
      .orderBy('start_time')
      .limit(Math.max(1, Math.floor(limit)))
      .execute();
    return rows.map((r) => ({ namespaceId: r.namespace_id, jobId: r.job_id }));
  }
}

import type { NamespaceRecord, NamespaceStore, ReadPage } from '../contract.js';
import {
  NamespaceAlreadyExistsError,
  NamespaceNotFoundError,
  NamespaceVersionConflictError,
} from '../contract.js';
import { decodeToken, encodeToken, toBuffer, toBytesOrNull, toNumber } from '../codec.js';
import { checkPayload } from '../limits.js';
import { inTransaction, type StoreContext } from './context.js';
import type { NamespacesTable } from '../tables.js';

function fromRow(row: NamespacesTable): NamespaceRecord {
  return {
    id: row.id,
    name: row.name,
    state: toNumber(row.state),
    description: row.description,
    ownerEmail: row.owner_email,
    retentionMs: toNumber(row.retention_ms),
    data: toBytesOrNull(row.data),
    version: toNumber(row.version),
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
  };
}

function isNameToken(v: unknown): v is { n: string } {
  return typeof v === 'object' && v !== null && typeof (v as { n?: unknown }).n === 'string';
}

export class SqlNamespaceStore implements NamespaceStore {
  constructor(private readonly ctx: StoreContext) {}

  async createNamespace(record: Omit<NamespaceRecord, 'version'>): Promise<NamespaceRecord> {
    checkPayload(this.ctx.limits, record.data);
    const created: NamespaceRecord = { ...record, data: record.data ?? null, version: 1 };
    try {
      await this.ctx.db
        .insertInto('namespaces')
        .values({
          id: record.id,
          name: record.name,
          state: record.state,
          description: record.description,
          owner_email: record.ownerEmail,
          retention_ms: record.retentionMs,
          data: record.data == null ? null : toBuffer(record.data),
          version: 1,
          created_at: record.createdAt,
          updated_at: record.updatedAt,
        })
        .execute();
    } catch (error) {
      if (this.ctx.dialect.isUniqueViolation(error)) throw new NamespaceAlreadyExistsError(record.name);
      throw error;
    }
    return created;
  }

  async updateNamespace(
    record: Omit<NamespaceRecord, 'version' | 'createdAt'>,
    expectedVersion: number,
  ): Promise<NamespaceRecord> {
    checkPayload(this.ctx.limits, record.data);
    let updated: bigint;
    try {
      const r = await this.ctx.db
        .updateTable('namespaces')
        .set({
          name: record.name,
          state: record.state,
          description: record.description,
          owner_email: record.ownerEmail,
          retention_ms: record.retentionMs,
          data: record.data == null ? null : toBuffer(record.data),
          version: expectedVersion + 1,
          updated_at: record.updatedAt,
        })
        .where('id', '=', record.id)
        .where('version', '=', expectedVersion)
        .executeTakeFirst();
      updated = r.numUpdatedRows;
    } catch (error) {
      if (this.ctx.dialect.isUniqueViolation(error)) throw new NamespaceAlreadyExistsError(record.name);
      throw error;
    }
    if (Number(updated) !== 1) {
      const actual = await this.getNamespaceById(record.id);
      if (actual === null) throw new NamespaceNotFoundError(record.id);
      throw new NamespaceVersionConflictError(record.id, expectedVersion, actual.version);
    }
    const after = await this.getNamespaceById(record.id);
    if (after === null) throw new NamespaceNotFoundError(record.id);
    return after;
  }

  async deleteNamespace(id: string): Promise<boolean> {
    return inTransaction(this.ctx, async (trx) => {
      // Task queues and their tasks are left: a matching partition of the namespace may still hold its lease row,
      // and they name nothing once the runs are gone.
      for (const table of [
        'search_attributes',
        'schedules',
        'batch_operations',
        'namespace_data_keys',
      ] as const)
        await trx.deleteFrom(table).where('namespace_id', '=', id).execute();
      const r = await trx.deleteFrom('namespaces').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) === 1;
    });
  }

  async getNamespaceByName(name: string): Promise<NamespaceRecord | null> {
    const row = await this.ctx.db
      .selectFrom('namespaces')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    return row === undefined ? null : fromRow(row);
  }

  async getNamespaceById(id: string): Promise<NamespaceRecord | null> {
    const row = await this.ctx.db
      .selectFrom('namespaces')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row === undefined ? null : fromRow(row);
  }

  async listNamespaces(page: { pageSize: number; pageToken?: string }): Promise<ReadPage<NamespaceRecord>> {
    const pageSize = Math.max(1, Math.floor(page.pageSize));
    let q = this.ctx.db.selectFrom('namespaces').selectAll();
    if (page.pageToken !== undefined) q = q.where('name', '>', decodeToken(page.pageToken, isNameToken).n);
    const rows = await q
      .orderBy('name')
      .limit(pageSize + 1)
      .execute();
    const items = rows.slice(0, pageSize).map(fromRow);
    if (rows.length <= pageSize) return { items };
    return { items, nextPageToken: encodeToken({ n: items[items.length - 1]!.name }) };
  }
}

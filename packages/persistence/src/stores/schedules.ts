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
  type ReadPage,
  ScheduleAlreadyExistsError,
  ScheduleNotFoundError,
  type ScheduleRecord,
  type ScheduleStore,
  ScheduleVersionConflictError,
} from '../contract.js';
import { checkPayload } from '../limits.js';
import type { SchedulesTable } from '../tables.js';
import type { StoreContext } from './context.js';

function fromRow(row: SchedulesTable): ScheduleRecord {
  return {
    namespaceId: row.namespace_id,
    scheduleId: row.schedule_id,
    schedule: toBytes(row.schedule),
    memo: toBytesOrNull(row.memo),
    searchAttributes: toBytesOrNull(row.search_attributes),
    state: toBytes(row.state),
    nextWakeTime: toNumberOrNull(row.next_wake_time),
    version: toNumber(row.version),
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
  };
}

function isIdToken(v: unknown): v is { s: string } {
  return typeof v === 'object' && v !== null && typeof (v as { s?: unknown }).s === 'string';
}

const orNull = (bytes: Uint8Array | null) => (bytes === null ? null : toBuffer(bytes));

export class SqlScheduleStore implements ScheduleStore {
  constructor(private readonly ctx: StoreContext) {}

  async createSchedule(record: Omit<ScheduleRecord, 'version'>): Promise<ScheduleRecord> {
    checkPayload(this.ctx.limits, record.schedule);
    try {
      await this.ctx.db
        .insertInto('schedules')
        .values({
          namespace_id: record.namespaceId,
          schedule_id: record.scheduleId,
          schedule: toBuffer(record.schedule),
          memo: orNull(record.memo),
          search_attributes: orNull(record.searchAttributes),
          state: toBuffer(record.state),
          next_wake_time: record.nextWakeTime,
          version: 1,
          created_at: record.createdAt,
          updated_at: record.updatedAt,
        })
        .execute();
    } catch (error) {
      if (this.ctx.dialect.isUniqueViolation(error)) throw new ScheduleAlreadyExistsError(record.scheduleId);
      throw error;
    }
    return { ...record, version: 1 };
  }

  async getSchedule(namespaceId: string, scheduleId: string): Promise<ScheduleRecord | null> {
    const row = await this.ctx.db
      .selectFrom('schedules')
      .selectAll()
      .where('namespace_id', '=', namespaceId)
      .where('schedule_id', '=', scheduleId)
      .executeTakeFirst();
    return row === undefined ? null : fromRow(row);
  }

  async updateSchedule(
    record: Omit<ScheduleRecord, 'version' | 'createdAt'>,
    expectedVersion: number,
  ): Promise<ScheduleRecord> {
    checkPayload(this.ctx.limits, record.schedule);
    const result = await this.ctx.db
      .updateTable('schedules')
      .set({
        schedule: toBuffer(record.schedule),
        memo: orNull(record.memo),
        search_attributes: orNull(record.searchAttributes),
        state: toBuffer(record.state),
        next_wake_time: record.nextWakeTime,
        version: expectedVersion + 1,
        updated_at: record.updatedAt,
      })
      .where('namespace_id', '=', record.namespaceId)
      .where('schedule_id', '=', record.scheduleId)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) {
      const actual = await this.getSchedule(record.namespaceId, record.scheduleId);
      if (actual === null) throw new ScheduleNotFoundError(record.scheduleId);
      throw new ScheduleVersionConflictError(record.scheduleId, expectedVersion);
    }
    const after = await this.getSchedule(record.namespaceId, record.scheduleId);
    if (after === null) throw new ScheduleNotFoundError(record.scheduleId);
    return after;
  }

  async deleteSchedule(namespaceId: string, scheduleId: string): Promise<boolean> {
    const result = await this.ctx.db
      .deleteFrom('schedules')
      .where('namespace_id', '=', namespaceId)
      .where('schedule_id', '=', scheduleId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async listSchedules(
    namespaceId: string,
    page: { pageSize: number; pageToken?: string },
  ): Promise<ReadPage<ScheduleRecord>> {
    const pageSize = Math.max(1, Math.floor(page.pageSize));
    let q = this.ctx.db.selectFrom('schedules').selectAll().where('namespace_id', '=', namespaceId);
    if (page.pageToken !== undefined)
      q = q.where('schedule_id', '>', decodeToken(page.pageToken, isIdToken).s);
    const rows = await q
      .orderBy('schedule_id')
      .limit(pageSize + 1)
      .execute();
    const items = rows.slice(0, pageSize).map(fromRow);
    if (rows.length <= pageSize) return { items };
    return { items, nextPageToken: encodeToken({ s: items[items.length - 1]!.scheduleId }) };
  }

  async countSchedules(namespaceId: string): Promise<number> {
    const row = await this.ctx.db
      .selectFrom('schedules')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('namespace_id', '=', namespaceId)
      .executeTakeFirst();
    return toNumber(row?.n ?? 0);
  }

  async listDueSchedules(
    dueBy: number,
    limit: number,
  ): Promise<{ namespaceId: string; scheduleId: string }[]> {
    const rows = await this.ctx.db
      .selectFrom('schedules')
      .select(['namespace_id', 'schedule_id'])
      .where('next_wake_time', '<=', dueBy)
      .orderBy('next_wake_time')
      .limit(Math.max(1, Math.floor(limit)))
      .execute();
    return rows.map((r) => ({ namespaceId: r.namespace_id, scheduleId: r.schedule_id }));
  }
}

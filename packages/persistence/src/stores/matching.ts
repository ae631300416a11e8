import type { Transaction } from 'kysely';
import type { MatchingStore, MatchingTask, TaskQueueLease } from '../contract.js';
import { TaskQueueLeaseLostError } from '../contract.js';
import { toBuffer, toBytes, toNumber, toNumberOrNull } from '../codec.js';
import { checkPayload } from '../limits.js';
import { taskQueueRangeHash } from '../range-hash.js';
import { chunks, inTransaction, type StoreContext } from './context.js';
import type { Tables } from '../tables.js';

export class SqlMatchingStore implements MatchingStore {
  constructor(private readonly ctx: StoreContext) {}

  async acquireTaskQueueLease(
    namespaceId: string,
    name: string,
    type: number,
    now = 0,
  ): Promise<TaskQueueLease> {
    const hash = taskQueueRangeHash(namespaceId, name, type);
    const current = await this.getTaskQueue(namespaceId, name, type);
    if (current === null) {
      try {
        await this.ctx.db
          .insertInto('task_queues')
          .values({
            range_hash: hash,
            namespace_id: namespaceId,
            name,
            type,
            range_id: 1,
            ack_level: 0,
            updated_at: now,
          })
          .execute();
        return { namespaceId, name, type, rangeId: 1, ackLevel: 0 };
      } catch (error) {
        if (!this.ctx.dialect.isUniqueViolation(error)) throw error;
        const winner = await this.getTaskQueue(namespaceId, name, type);
        throw new TaskQueueLeaseLostError(namespaceId, name, type, 1, winner?.rangeId ?? null);
      }
    }
    const rangeId = current.rangeId + 1;
    const r = await this.ctx.db
      .updateTable('task_queues')
      .set({ range_id: rangeId, updated_at: now })
      .where('range_hash', '=', hash)
      .where('namespace_id', '=', namespaceId)
      .where('name', '=', name)
      .where('type', '=', type)
      .where('range_id', '=', current.rangeId)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) {
      const winner = await this.getTaskQueue(namespaceId, name, type);
      throw new TaskQueueLeaseLostError(namespaceId, name, type, rangeId, winner?.rangeId ?? null);
    }
    return { namespaceId, name, type, rangeId, ackLevel: current.ackLevel };
  }

  async createMatchingTasks(lease: TaskQueueLease, tasks: MatchingTask[]): Promise<void> {
    for (const t of tasks) checkPayload(this.ctx.limits, t.data);
    const hash = taskQueueRangeHash(lease.namespaceId, lease.name, lease.type);
    await inTransaction(this.ctx, async (trx) => {
      await this.#checkLease(trx, lease, hash);
      for (const batch of chunks(tasks)) {
        await trx
          .insertInto('matching_tasks')
          .values(
            batch.map((t) => ({
              range_hash: hash,
              namespace_id: lease.namespaceId,
              task_queue_name: lease.name,
              task_queue_type: lease.type,
              task_id: t.taskId,
              data: toBuffer(t.data),
              expires_at: t.expiresAt ?? null,
              created_at: t.createdAt,
            })),
          )
          .execute();
      }
    });
  }

  async readMatchingTasks(
    namespaceId: string,
    name: string,
    type: number,
    options: { afterTaskId: number; limit: number; now?: number },
  ): Promise<MatchingTask[]> {
    let q = this.ctx.db
      .selectFrom('matching_tasks')
      .select(['task_id', 'data', 'expires_at', 'created_at'])
      .where('range_hash', '=', taskQueueRangeHash(namespaceId, name, type))
      .where('namespace_id', '=', namespaceId)
      .where('task_queue_name', '=', name)
      .where('task_queue_type', '=', type)
      .where('task_id', '>', options.afterTaskId);
    const now = options.now;
    if (now !== undefined) {
      q = q.where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
    }
    const rows = await q.orderBy('task_id').limit(Math.max(1, options.limit)).execute();
    return rows.map((r) => ({
      taskId: toNumber(r.task_id),
      data: toBytes(r.data),
      expiresAt: toNumberOrNull(r.expires_at),
      createdAt: toNumber(r.created_at),
    }));
  }

  async completeMatchingTasks(lease: TaskQueueLease, taskIds: number[]): Promise<number> {
    const hash = taskQueueRangeHash(lease.namespaceId, lease.name, lease.type);
    return inTransaction(this.ctx, async (trx) => {
      await this.#checkLease(trx, lease, hash);
      let deleted = 0;
      for (const ids of chunks(taskIds, 500)) {
        const r = await trx
          .deleteFrom('matching_tasks')
          .where('range_hash', '=', hash)
          .where('namespace_id', '=', lease.namespaceId)
          .where('task_queue_name', '=', lease.name)
          .where('task_queue_type', '=', lease.type)
          .where('task_id', 'in', ids)
          .executeTakeFirst();
        deleted += Number(r.numDeletedRows);
      }
      return deleted;
    });
  }

  async completeMatchingTasksUpTo(lease: TaskQueueLease, ackLevel: number): Promise<number> {
    const hash = taskQueueRangeHash(lease.namespaceId, lease.name, lease.type);
    return inTransaction(this.ctx, async (trx) => {
      const stored = await this.#checkLease(trx, lease, hash);
      const r = await trx
        .deleteFrom('matching_tasks')
        .where('range_hash', '=', hash)
        .where('namespace_id', '=', lease.namespaceId)
        .where('task_queue_name', '=', lease.name)
        .where('task_queue_type', '=', lease.type)
        .where('task_id', '<=', ackLevel)
        .executeTakeFirst();
      if (ackLevel > stored) {
        await trx
          .updateTable('task_queues')
          .set({ ack_level: ackLevel })
          .where('range_hash', '=', hash)
          .where('namespace_id', '=', lease.namespaceId)
          .where('name', '=', lease.name)
          .where('type', '=', lease.type)
          .execute();
      }
      return Number(r.numDeletedRows);
    });
  }

  async getTaskQueue(namespaceId: string, name: string, type: number): Promise<TaskQueueLease | null> {
    const row = await this.ctx.db
      .selectFrom('task_queues')
      .select(['range_id', 'ack_level'])
      .where('range_hash', '=', taskQueueRangeHash(namespaceId, name, type))
      .where('namespace_id', '=', namespaceId)
      .where('name', '=', name)
      .where('type', '=', type)
      .executeTakeFirst();
    if (row === undefined) return null;
    return { namespaceId, name, type, rangeId: toNumber(row.range_id), ackLevel: toNumber(row.ack_level) };
  }

  /** The queue's own fence: shared-locks its row and checks range_id; returns the stored ack level. */
  async #checkLease(trx: Transaction<Tables>, lease: TaskQueueLease, hash: number): Promise<number> {
    const row = await trx
      .selectFrom('task_queues')
      .select(['range_id', 'ack_level'])
      .where('range_hash', '=', hash)
      .where('namespace_id', '=', lease.namespaceId)
      .where('name', '=', lease.name)
      .where('type', '=', lease.type)
      .modifyEnd(this.ctx.dialect.lockForShare)
      .executeTakeFirst();
    const actual = row === undefined ? null : toNumber(row.range_id);
    if (actual !== lease.rangeId) {
      throw new TaskQueueLeaseLostError(lease.namespaceId, lease.name, lease.type, lease.rangeId, actual);
    }
    return toNumber(row!.ack_level);
  }
}

import type { CompiledQuery } from 'kysely';
import type { ImmediateCategory, OutboxAcks, OutboxStore, OutboxTask, TimerTaskKey } from '../contract.js';
import { toBytes, toNumber } from '../codec.js';
import { chunks, type Executor, inTransaction, type StoreContext } from './context.js';
import { precompiledQuery, rowByRowQuery, runInOrder } from './precompiled.js';
import type { ImmediateTasksTable } from '../tables.js';

type TransferAck = OutboxAcks['transfer'][number];
type TimerAck = OutboxAcks['timer'][number];

const IMMEDIATE_TABLES = { transfer: 'transfer_tasks', visibility: 'visibility_tasks' } as const;

function toTask(category: OutboxTask['category'], row: ImmediateTasksTable): OutboxTask {
  return {
    category,
    taskId: toNumber(row.task_id),
    fireTime: toNumber(row.fire_time),
    namespaceId: row.namespace_id,
    workflowId: row.workflow_id,
    runId: row.run_id,
    taskType: row.task_type,
    data: toBytes(row.data),
  };
}

export class SqlOutboxStore implements OutboxStore {
  constructor(private readonly ctx: StoreContext) {}

  async readImmediateTasks(
    shardId: number,
    category: ImmediateCategory,
    options: { afterTaskId: number; limit: number; maxTaskIdExclusive?: number },
  ): Promise<OutboxTask[]> {
    let q = this.ctx.db
      .selectFrom(IMMEDIATE_TABLES[category])
      .selectAll()
      .where('shard_id', '=', shardId)
      .where('task_id', '>', options.afterTaskId);
    if (options.maxTaskIdExclusive !== undefined) q = q.where('task_id', '<', options.maxTaskIdExclusive);
    const rows = await q.orderBy('task_id').limit(Math.max(1, options.limit)).execute();
    return rows.map((r) => toTask(category, r));
  }

  async deleteImmediateTasks(
    shardId: number,
    category: ImmediateCategory,
    taskIds: number[],
  ): Promise<number> {
    let deleted = 0;
    for (const ids of chunks(taskIds, 500)) {
      const r = await this.ctx.db
        .deleteFrom(IMMEDIATE_TABLES[category])
        .where('shard_id', '=', shardId)
        .where('task_id', 'in', ids)
        .executeTakeFirst();
      deleted += Number(r.numDeletedRows);
    }
    return deleted;
  }

  async deleteImmediateTasksUpTo(
    shardId: number,
    category: ImmediateCategory,
    maxTaskId: number,
  ): Promise<number> {
    const r = await this.ctx.db
      .deleteFrom(IMMEDIATE_TABLES[category])
      .where('shard_id', '=', shardId)
      .where('task_id', '<=', maxTaskId)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async readTimerTasks(
    shardId: number,
    options: { maxFireTime: number; limit: number; after?: TimerTaskKey },
  ): Promise<OutboxTask[]> {
    let q = this.ctx.db
      .selectFrom('timer_tasks')
      .selectAll()
      .where('shard_id', '=', shardId)
      .where('fire_time', '<=', options.maxFireTime);
    const after = options.after;
    if (after !== undefined) {
      q = q.where((eb) =>
        eb.or([
          eb('fire_time', '>', after.fireTime),
          eb.and([eb('fire_time', '=', after.fireTime), eb('task_id', '>', after.taskId)]),
        ]),
      );
    }
    const rows = await q.orderBy('fire_time').orderBy('task_id').limit(Math.max(1, options.limit)).execute();
    return rows.map((r) => toTask('timer', r));
  }

  async deleteTimerTasks(shardId: number, keys: TimerTaskKey[]): Promise<number> {
    let deleted = 0;
    for (const batch of chunks(keys, 200)) {
      // The shard id inside every OR term: each term is then a full primary-key lookup, where `shard_id = ? AND
      // (… OR …)` makes SQLite scan every timer of the shard (its OR optimisation needs each term indexable alone).
      const r = await this.ctx.db
        .deleteFrom('timer_tasks')
        .where((eb) =>
          eb.or(
            batch.map((k) =>
              eb.and([
                eb('shard_id', '=', shardId),
                eb('fire_time', '=', k.fireTime),
                eb('task_id', '=', k.taskId),
              ]),
            ),
          ),
        )
        .executeTakeFirst();
      deleted += Number(r.numDeletedRows);
    }
    return deleted;
  }

  async deleteAcked(acks: OutboxAcks): Promise<void> {
    if (acks.transfer.length === 0 && acks.timer.length === 0) return;
    await inTransaction(this.ctx, (trx) => deleteAckedRows(this.ctx, trx, acks));
  }
}

/** Rows per DELETE of acked tasks: one OR term (a primary-key lookup) per row. */
const ACK_CHUNK_ROWS = 100;

/**
 * Deletes acked outbox rows of any shards with `db` (a transaction: a group commit's or their own). Each OR term
 * names a whole primary key, so each is one index lookup; SQLite runs the one-key DELETE row by row instead.
 */
export async function deleteAckedRows(ctx: StoreContext, db: Executor, acks: OutboxAcks): Promise<void> {
  await runInOrder(db, ackedRowsQueries(ctx, db, acks));
}

/** The DELETEs of deleteAckedRows, built with `db`, without running them. */
export function ackedRowsQueries(
  ctx: StoreContext,
  db: Executor,
  acks: OutboxAcks,
): CompiledQuery<unknown>[] {
  const transfer = (chunk: readonly TransferAck[]) =>
    db
      .deleteFrom('transfer_tasks')
      .where((eb) =>
        eb.or(chunk.map((a) => eb.and([eb('shard_id', '=', a.shardId), eb('task_id', '=', a.taskId)]))),
      )
      .compile();
  const timer = (chunk: readonly TimerAck[]) =>
    db
      .deleteFrom('timer_tasks')
      .where((eb) =>
        eb.or(
          chunk.map((a) =>
            eb.and([
              eb('shard_id', '=', a.shardId),
              eb('fire_time', '=', a.fireTime),
              eb('task_id', '=', a.taskId),
            ]),
          ),
        ),
      )
      .compile();
  return [
    ...ackQueries(ctx, 'ackTransfer', acks.transfer, (a) => [a.shardId, a.taskId], transfer),
    ...ackQueries(ctx, 'ackTimer', acks.timer, (a) => [a.shardId, a.fireTime, a.taskId], timer),
  ];
}

/** The deletes of `acks`: row by row where the dialect writes so, else one statement per chunk. */
function ackQueries<A>(
  ctx: StoreContext,
  name: string,
  acks: readonly A[],
  keysOf: (ack: A) => unknown[],
  build: (chunk: readonly A[]) => CompiledQuery<unknown>,
): CompiledQuery<unknown>[] {
  if (acks.length === 0) return [];
  const keys = acks.map(keysOf);
  const byRow = rowByRowQuery(ctx, name, keys.flat(), keys[0]!.length, () => build(acks.slice(0, 1)));
  if (byRow) return [byRow];
  const keyChunks = chunks(keys, ACK_CHUNK_ROWS);
  return chunks(acks, ACK_CHUNK_ROWS).map((chunk, i) =>
    precompiledQuery(ctx, `${name}\u0000${chunk.length}`, keyChunks[i]!.flat(), () => build(chunk)),
  );
}

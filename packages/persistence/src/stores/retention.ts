import type { RetentionStore } from '../contract.js';
import { toNumber } from '../codec.js';
import { inTransaction, type StoreContext } from './context.js';
import { deleteRunDependents } from './run-rows.js';
import { deleteVisibilityRows } from './visibility.js';

/** Events deleted per retention transaction at most (a single longer run still goes alone in its own). */
const EVENTS_PER_TRANSACTION = 20_000;

/** Splits runs into groups whose histories together stay under the per-transaction event budget. */
function byEventBudget<T extends { next_event_id: unknown }>(runs: T[]): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let events = 0;
  for (const run of runs) {
    const n = toNumber(run.next_event_id) - 1;
    if (current.length > 0 && events + n > EVENTS_PER_TRANSACTION) {
      groups.push(current);
      current = [];
      events = 0;
    }
    current.push(run);
    events += n;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

export class SqlRetentionStore implements RetentionStore {
  constructor(private readonly ctx: StoreContext) {}

  async deleteClosedExecutions(input: {
    namespaceId: string;
    closedBefore: number;
    batchSize: number;
    signal?: AbortSignal;
  }): Promise<number> {
    const batchSize = Math.max(1, Math.floor(input.batchSize));
    let deleted = 0;
    // Each batch is its own short transaction: retention never holds locks on more than batchSize runs (or about
    // EVENTS_PER_TRANSACTION history rows) at once.
    while (!input.signal?.aborted) {
      const runs = await this.ctx.db
        .selectFrom('workflow_executions')
        .select(['workflow_id', 'run_id', 'next_event_id'])
        .where('namespace_id', '=', input.namespaceId)
        .where('close_time', '<', input.closedBefore)
        .orderBy('close_time')
        .limit(batchSize)
        .execute();
      if (runs.length === 0) break;
      for (const group of byEventBudget(runs)) {
        await inTransaction(this.ctx, async (trx) => {
          for (const run of group) {
            const r = await trx
              .deleteFrom('workflow_executions')
              .where('namespace_id', '=', input.namespaceId)
              .where('workflow_id', '=', run.workflow_id)
              .where('run_id', '=', run.run_id)
              .where('close_time', '<', input.closedBefore)
              .executeTakeFirst();
            if (Number(r.numDeletedRows) !== 1) continue;
            await deleteRunDependents(trx, {
              namespaceId: input.namespaceId,
              workflowId: run.workflow_id,
              runId: run.run_id,
            });
            deleted++;
          }
        });
      }
    }
    // Visibility rows whose run is already gone (deleted elsewhere) age out by their own close time.
    while (!input.signal?.aborted) {
      const orphans = await this.ctx.db
        .selectFrom('visibility_records')
        .select('run_id')
        .where('namespace_id', '=', input.namespaceId)
        .where('close_time', '<', input.closedBefore)
        .limit(batchSize)
        .execute();
      if (orphans.length === 0) break;
      await inTransaction(this.ctx, (trx) =>
        deleteVisibilityRows(
          trx,
          input.namespaceId,
          orphans.map((o) => o.run_id),
        ),
      );
    }
    return deleted;
  }

  async listOpenExecutions(input: {
    namespaceId: string;
    limit: number;
  }): Promise<{ workflowId: string; runId: string }[]> {
    const rows = await this.ctx.db
      .selectFrom('workflow_executions')
      .select(['workflow_id', 'run_id'])
      .where('namespace_id', '=', input.namespaceId)
      .where('close_time', 'is', null)
      .limit(Math.max(1, Math.floor(input.limit)))
      .execute();
    return rows.map((r) => ({ workflowId: r.workflow_id, runId: r.run_id }));
  }

  async countNamespaceExecutions(namespaceId: string): Promise<number> {
    const runs = await this.ctx.db
      .selectFrom('workflow_executions')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('namespace_id', '=', namespaceId)
      .executeTakeFirst();
    const records = await this.ctx.db
      .selectFrom('visibility_records')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('namespace_id', '=', namespaceId)
      .executeTakeFirst();
    return Number(runs?.n ?? 0) + Number(records?.n ?? 0);
  }
}

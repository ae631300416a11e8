import type { Transaction } from 'kysely';
import type { ExecutionKey } from '../contract.js';
import type { Tables } from '../tables.js';
import { deleteVisibilityRows } from './visibility.js';

/**
 * Deletes what belongs to one run besides its workflow_executions row: its history, the current-execution pointer
 * when it still names this run, and its visibility record. Callers decide how the execution row itself goes
 * (unconditionally, or guarded by its close time for retention).
 */
export async function deleteRunDependents(trx: Transaction<Tables>, key: ExecutionKey): Promise<void> {
  await trx
    .deleteFrom('history_events')
    .where('namespace_id', '=', key.namespaceId)
    .where('workflow_id', '=', key.workflowId)
    .where('run_id', '=', key.runId)
    .execute();
  await trx
    .deleteFrom('current_executions')
    .where('namespace_id', '=', key.namespaceId)
    .where('workflow_id', '=', key.workflowId)
    .where('run_id', '=', key.runId)
    .execute();
  await deleteVisibilityRows(trx, key.namespaceId, [key.runId]);
}

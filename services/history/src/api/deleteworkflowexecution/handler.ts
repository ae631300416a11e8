import { ServiceError } from '@odin/api';
import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { isRunning } from '../../state/mutable-state.js';
import { terminateRun } from '../../state/terminate.js';

/** How long a run terminated for deletion stays, so its close work (parent notice, parent-close policy) runs first. */
export const DELETE_AFTER_TERMINATE_MS = 2_000;
export const DELETE_TERMINATE_REASON = 'Delete workflow execution';

/**
 * Deletes a run: its history, mutable state and visibility record. A closed run goes at once; a running one is
 * terminated first (WorkflowExecutionTerminated, so its parent and children hear of it as of any termination) and
 * deleted by a timer task shortly after, when the close's outbox work has read what it needs. Without a run id the
 * workflow's current run is deleted. NOT_FOUND when there is no such run.
 */
export async function deleteWorkflowExecution(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'DeleteWorkflowExecutionRequest'>,
  _ctx: CallContext,
): Promise<Res<'DeleteWorkflowExecutionResponse'>> {
  const workflowId = req.workflowExecution?.workflowId ?? '';
  if (!workflowId)
    throw ServiceError.invalidArgument('WorkflowExecution.WorkflowId is not set on the request.');
  const outcome = await engine.update(ns.id, workflowId, req.workflowExecution?.runId || undefined, (mut) => {
    if (!isRunning(mut.ms)) return { runId: mut.ms.runId, closed: true } as const;
    terminateRun(mut, DELETE_TERMINATE_REASON, '', undefined);
    mut.addTimerTask('delete-execution', mut.now + DELETE_AFTER_TERMINATE_MS, {});
    return { runId: mut.ms.runId, closed: false } as const;
  });
  if (outcome.closed) await engine.deleteRun(ns.id, workflowId, outcome.runId);
  return {};
}

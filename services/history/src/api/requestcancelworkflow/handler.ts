import { ServiceError } from '@odin/api';
import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { requestCancelRun } from '../../state/cancel-request.js';
import { isRunning } from '../../state/mutable-state.js';

/** WorkflowExecutionCancelRequested (once) and a workflow task so the workflow can react. */
export async function requestCancelWorkflowExecution(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'RequestCancelWorkflowExecutionRequest'>,
  _ctx: CallContext,
): Promise<Res<'RequestCancelWorkflowExecutionResponse'>> {
  const workflowId = req.workflowExecution?.workflowId ?? '';
  if (!workflowId) throw ServiceError.invalidArgument('WorkflowId is not set on the request.');
  await engine.update(ns.id, workflowId, req.workflowExecution?.runId, (mut) => {
    const ms = mut.ms;
    if (!isRunning(ms)) throw ServiceError.notFound('Workflow execution already completed.');
    if (req.firstExecutionRunId && req.firstExecutionRunId !== ms.firstExecutionRunId) {
      throw ServiceError.notFound('Workflow execution not found for the given first execution run id.');
    }
    requestCancelRun(mut, { cause: req.reason ?? '', identity: req.identity ?? '' });
    // A cancel request is always accepted, also on a run already over a history limit (docs/security.md, "Limits").
    mut.historyLimitExempt = true;
  });
  return {};
}

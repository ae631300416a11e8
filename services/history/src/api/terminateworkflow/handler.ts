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

export async function terminateWorkflowExecution(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'TerminateWorkflowExecutionRequest'>,
  _ctx: CallContext,
): Promise<Res<'TerminateWorkflowExecutionResponse'>> {
  const workflowId = req.workflowExecution?.workflowId ?? '';
  if (!workflowId) throw ServiceError.invalidArgument('WorkflowId is not set on the request.');
  await engine.update(ns.id, workflowId, req.workflowExecution?.runId, (mut) => {
    if (!isRunning(mut.ms)) throw ServiceError.notFound('Workflow execution already completed.');
    if (req.firstExecutionRunId && req.firstExecutionRunId !== mut.ms.firstExecutionRunId) {
      throw ServiceError.notFound('Workflow execution not found for the given first execution run id.');
    }
    terminateRun(mut, req.reason ?? '', req.identity ?? '', req.details);
  });
  return {};
}

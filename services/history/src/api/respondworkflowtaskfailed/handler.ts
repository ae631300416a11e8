import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { currentWorkflowTask, workflowToken } from '../../state/task-tokens.js';
import { failWorkflowTask } from '../../state/workflow-task.js';

/** The worker could not process the task: WorkflowTaskFailed (first attempt only), then a retry. */
export async function respondWorkflowTaskFailed(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'RespondWorkflowTaskFailedRequest'>,
  _ctx: CallContext,
): Promise<Res<'RespondWorkflowTaskFailedResponse'>> {
  const token = workflowToken(ns, req.taskToken);
  await engine.update(ns.id, token.workflowId, token.runId, (mut) => {
    currentWorkflowTask(mut, token);
    failWorkflowTask(mut, {
      kind: 'failed',
      cause: req.cause ?? 0,
      failure: req.failure ?? null,
      identity: req.identity ?? '',
      binaryChecksum: req.binaryChecksum ?? '',
    });
  });
  return {};
}

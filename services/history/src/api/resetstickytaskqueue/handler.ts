import { ServiceError } from '@odin/api';
import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { isRunning } from '../../state/mutable-state.js';
import { clearStickiness } from '../../state/workflow-task.js';

/**
 * The worker that cached the run is gone (or asked to be forgotten): the run stops being sticky, so its next
 * workflow task is scheduled on the normal queue with the full history. A task already scheduled on the sticky queue
 * keeps its way there; the sticky schedule-to-start timeout (or matching's refusal) moves it.
 */
export async function resetStickyTaskQueue(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'ResetStickyTaskQueueRequest'>,
  _ctx: CallContext,
): Promise<Res<'ResetStickyTaskQueueResponse'>> {
  const workflowId = req.execution?.workflowId ?? '';
  if (!workflowId) throw ServiceError.invalidArgument('WorkflowId is not set on the request.');
  await engine.update(ns.id, workflowId, req.execution?.runId || undefined, (mut) => {
    if (!isRunning(mut.ms)) throw ServiceError.notFound('Workflow execution already completed.');
    clearStickiness(mut);
  });
  return {};
}

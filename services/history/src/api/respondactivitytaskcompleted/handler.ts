import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { completeActivity } from '../../state/activity-transitions.js';
import { startedActivity, targetById, targetFromToken } from '../../state/task-tokens.js';

export async function respondActivityTaskCompleted(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'RespondActivityTaskCompletedRequest'>,
  _ctx: CallContext,
): Promise<Res<'RespondActivityTaskCompletedResponse'>> {
  const target = targetFromToken(ns, req.taskToken);
  await engine.update(ns.id, target.workflowId, target.runId, (mut) =>
    completeActivity(mut, startedActivity(mut, target), req.result, req.identity ?? ''),
  );
  return {};
}

export async function respondActivityTaskCompletedById(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'RespondActivityTaskCompletedByIdRequest'>,
  _ctx: CallContext,
): Promise<Res<'RespondActivityTaskCompletedByIdResponse'>> {
  const target = targetById(req);
  await engine.update(ns.id, target.workflowId, target.runId, (mut) =>
    completeActivity(mut, startedActivity(mut, target), req.result, req.identity ?? ''),
  );
  return {};
}

import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { cancelActivity } from '../../state/activity-transitions.js';
import { startedActivity, targetById, targetFromToken } from '../../state/task-tokens.js';

export async function respondActivityTaskCanceled(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'RespondActivityTaskCanceledRequest'>,
  _ctx: CallContext,
): Promise<Res<'RespondActivityTaskCanceledResponse'>> {
  const target = targetFromToken(ns, req.taskToken);
  await engine.update(ns.id, target.workflowId, target.runId, (mut) =>
    cancelActivity(mut, startedActivity(mut, target), req.details, req.identity ?? ''),
  );
  return {};
}

export async function respondActivityTaskCanceledById(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'RespondActivityTaskCanceledByIdRequest'>,
  _ctx: CallContext,
): Promise<Res<'RespondActivityTaskCanceledByIdResponse'>> {
  const target = targetById(req);
  await engine.update(ns.id, target.workflowId, target.runId, (mut) =>
    cancelActivity(mut, startedActivity(mut, target), req.details, req.identity ?? ''),
  );
  return {};
}

import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { failActivity } from '../../state/activity-transitions.js';
import { encodePayloads } from '../../util/codec.js';
import type { Failure, Payloads } from '../../util/codec.js';
import { startedActivity, targetById, targetFromToken } from '../../state/task-tokens.js';
import type { ActivityTarget } from '../../state/task-tokens.js';

async function fail(
  engine: HistoryEngine,
  ns: NamespaceRef,
  target: ActivityTarget,
  failure: Failure | null | undefined,
  lastHeartbeatDetails: Payloads | null | undefined,
  identity: string,
): Promise<void> {
  await engine.update(ns.id, target.workflowId, target.runId, (mut) => {
    const ai = startedActivity(mut, target);
    if (lastHeartbeatDetails) ai.heartbeatDetails = encodePayloads(lastHeartbeatDetails);
    failActivity(mut, ai, failure, identity);
  });
}

export async function respondActivityTaskFailed(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'RespondActivityTaskFailedRequest'>,
  _ctx: CallContext,
): Promise<Res<'RespondActivityTaskFailedResponse'>> {
  await fail(
    engine,
    ns,
    targetFromToken(ns, req.taskToken),
    req.failure,
    req.lastHeartbeatDetails,
    req.identity ?? '',
  );
  return {};
}

export async function respondActivityTaskFailedById(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'RespondActivityTaskFailedByIdRequest'>,
  _ctx: CallContext,
): Promise<Res<'RespondActivityTaskFailedByIdResponse'>> {
  await fail(engine, ns, targetById(req), req.failure, req.lastHeartbeatDetails, req.identity ?? '');
  return {};
}

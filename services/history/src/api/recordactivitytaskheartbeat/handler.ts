import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { encodePayloads } from '../../util/codec.js';
import { startedActivity, targetById, targetFromToken } from '../../state/task-tokens.js';
import type { ActivityTarget } from '../../state/task-tokens.js';
import type { Payloads } from '../../util/codec.js';

/** Stores the details (they survive into the next attempt) and tells the worker whether cancel was requested. */
async function heartbeat(
  engine: HistoryEngine,
  ns: NamespaceRef,
  target: ActivityTarget,
  details: Payloads | null | undefined,
): Promise<{ cancelRequested: boolean }> {
  return engine.update(ns.id, target.workflowId, target.runId, (mut) => {
    const ai = startedActivity(mut, target);
    if (details) ai.heartbeatDetails = encodePayloads(details);
    ai.lastHeartbeatTime = mut.now;
    mut.dirty = true;
    return { cancelRequested: ai.cancelRequested };
  });
}

export async function recordActivityTaskHeartbeat(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'RecordActivityTaskHeartbeatRequest'>,
  _ctx: CallContext,
): Promise<Res<'RecordActivityTaskHeartbeatResponse'>> {
  return heartbeat(engine, ns, targetFromToken(ns, req.taskToken), req.details);
}

export async function recordActivityTaskHeartbeatById(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'RecordActivityTaskHeartbeatByIdRequest'>,
  _ctx: CallContext,
): Promise<Res<'RecordActivityTaskHeartbeatByIdResponse'>> {
  return heartbeat(engine, ns, targetById(req), req.details);
}

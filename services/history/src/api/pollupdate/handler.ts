import { ServiceError } from '@odin/api';
import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { completedOutcome, UpdateStage } from '../../state/updates.js';
import type { UpdateOutcome } from '../../state/updates.js';
import { READMIT } from '../../updates.js';
import { asProto } from '../../util/proto.js';

type Response = Res<'PollWorkflowExecutionUpdateResponse'>;

/**
 * PollWorkflowExecutionUpdate: waits for an update the run knows (admitted, accepted or completed) to reach the
 * stage asked for, bounded like UpdateWorkflowExecution. An update the run never had, or one it rejected (rejections
 * are kept nowhere, as in Temporal), is NOT_FOUND.
 */
export async function pollWorkflowExecutionUpdate(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'PollWorkflowExecutionUpdateRequest'>,
  ctx: CallContext,
): Promise<Response> {
  const execution = req.updateRef?.workflowExecution;
  const workflowId = execution?.workflowId ?? '';
  if (!workflowId)
    throw ServiceError.invalidArgument('UpdateRef.WorkflowExecution.WorkflowId is not set on the request.');
  const updateId = req.updateRef?.updateId ?? '';
  if (!updateId) throw ServiceError.invalidArgument('UpdateRef.UpdateId is not set on the request.');
  const stage =
    req.waitPolicy?.lifecycleStage ?? UpdateStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED;
  const found = await engine.read(ns.id, workflowId, execution?.runId, async (run) => {
    const ms = run.ms;
    const ref = { workflowId: ms.workflowId, runId: ms.runId };
    const known = engine.updates.lookup(ms, updateId);
    if (!known) return { ref };
    switch (known.kind) {
      case 'completed': {
        const read = (from: number, to: number) => engine.readEvents(run, from, to);
        return { ref, outcome: await completedOutcome(read, known.completedEventId) };
      }
      case 'closed-accepted':
        return { ref, outcome: known.outcome };
      case 'live':
        return { ref, update: known.update };
    }
  });
  const updateRef = { workflowExecution: found.ref, updateId };
  if (found.outcome) return response(updateRef, found.outcome);
  if (!found.update) throw notFound(updateId);
  const update = found.update;
  const status = await engine.updates.wait(update, stage, {
    softDeadline: engine.now() + engine.options.historyLongPollMs,
    deadline: ctx.deadline,
    signal: ctx.signal,
  });
  // Dropped from memory before a worker accepted it: the caller may ask again (its update call admits it anew).
  if (status === READMIT) throw update.error ?? ServiceError.unavailable('workflow update was aborted');
  return asProto<Response>({ updateRef, ...status });
}

function response(
  updateRef: { workflowExecution: { workflowId: string; runId: string }; updateId: string },
  outcome: UpdateOutcome,
): Response {
  return asProto<Response>({
    updateRef,
    outcome,
    stage: UpdateStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
  });
}

function notFound(updateId: string): ServiceError {
  return ServiceError.notFound(`update "${updateId}" not found`);
}

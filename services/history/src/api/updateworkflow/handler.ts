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

type Response = Res<'UpdateWorkflowExecutionResponse'>;

/**
 * UpdateWorkflowExecution: admits the update on the run (a second request with the same update id joins the first;
 * a completed one is answered with its outcome, even on a closed run), then waits for the stage the caller asked for
 * (see UpdateRegistry.wait). An update dropped before a worker accepted it (the workflow continued as new, the task
 * that carried it failed before the workflow saw it) is admitted again, on the current run when the caller named none.
 */
export async function updateWorkflowExecution(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'UpdateWorkflowExecutionRequest'>,
  ctx: CallContext,
): Promise<Response> {
  const workflowId = req.workflowExecution?.workflowId ?? '';
  if (!workflowId)
    throw ServiceError.invalidArgument('WorkflowExecution.WorkflowId is not set on the request.');
  const updateId = req.request?.meta?.updateId ?? '';
  if (!updateId) throw ServiceError.invalidArgument('Update meta.update_id is not set on the request.');
  const stage =
    req.waitPolicy?.lifecycleStage ?? UpdateStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED;
  const softDeadline = engine.now() + engine.options.historyLongPollMs;
  for (;;) {
    const admitted = await engine.update(
      ns.id,
      workflowId,
      req.workflowExecution?.runId,
      async (mut, run) => {
        const ms = mut.ms;
        if (req.firstExecutionRunId && req.firstExecutionRunId !== ms.firstExecutionRunId) {
          throw ServiceError.notFound('workflow execution not found');
        }
        const ref = { workflowId: ms.workflowId, runId: ms.runId };
        const admission = engine.updates.admit(mut, updateId, req.request);
        switch (admission.kind) {
          case 'completed': {
            const read = (from: number, to: number) => engine.readEvents(run, from, to);
            return { ref, outcome: await completedOutcome(read, admission.completedEventId) };
          }
          case 'closed-accepted':
            return { ref, outcome: admission.outcome };
          case 'live':
            return { ref, update: admission.update };
        }
      },
    );
    const updateRef = { workflowExecution: admitted.ref, updateId };
    if (!admitted.update) return completedResponse(updateRef, admitted.outcome!);
    const status = await engine.updates.wait(admitted.update, stage, {
      softDeadline,
      deadline: ctx.deadline,
      signal: ctx.signal,
    });
    if (status !== READMIT) return asProto<Response>({ updateRef, ...status });
    if (ctx.signal.aborted) throw ServiceError.canceled('The update call was cancelled by the caller.');
    if (!stillWaiting(engine, softDeadline, ctx)) {
      throw ServiceError.unavailable('workflow update was aborted');
    }
  }
}

function completedResponse(
  updateRef: { workflowExecution: { workflowId: string; runId: string }; updateId: string },
  outcome: UpdateOutcome,
): Response {
  return asProto<Response>({
    updateRef,
    outcome,
    stage: UpdateStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED,
  });
}

/** An update to admit again is admitted again while the call may still wait. */
function stillWaiting(engine: HistoryEngine, softDeadline: number, ctx: CallContext): boolean {
  const now = engine.now();
  return now < softDeadline && (ctx.deadline === undefined || now < ctx.deadline);
}

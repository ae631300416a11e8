import { ServiceError } from '@odin/api';
import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import { WorkflowStatus } from '@odin/persistence';
import type { HistoryEngine } from '../../engine.js';
import { buildResetRun, openWorkAt, reappliedEvents, resetPointOf } from '../../state/reset.js';
import { terminateRun } from '../../state/terminate.js';

/**
 * ResetWorkflowExecution: a new run of the workflow with the base run's history up to the named workflow task, that
 * task failed (RESET_WORKFLOW), the signals received after it reapplied (per the reapply type), and a new workflow
 * task; the workflow's current run, if it is still running, is terminated with the reset's reason in the same
 * transaction. The base run may be closed. A retried request (same request id) answers the run it created.
 * Not yet: a point where activities, timers, children, external requests or updates are open (FAILED_PRECONDITION).
 */
export async function resetWorkflowExecution(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'ResetWorkflowExecutionRequest'>,
  _ctx: CallContext,
): Promise<Res<'ResetWorkflowExecutionResponse'>> {
  const workflowId = req.workflowExecution?.workflowId ?? '';
  if (!workflowId)
    throw ServiceError.invalidArgument('WorkflowExecution.WorkflowId is not set on the request.');
  const finishEventId = Number(req.workflowTaskFinishEventId ?? 0);
  if (!(finishEventId > 1)) {
    throw ServiceError.invalidArgument(
      'WorkflowTaskFinishEventId must name a workflow task event of the run.',
    );
  }
  // The base run's events never change once written: read them before taking the workflow's lock for the reset.
  const base = await engine.read(
    ns.id,
    workflowId,
    req.workflowExecution?.runId || undefined,
    async (run) => {
      if (finishEventId >= run.ms.nextEventId) {
        throw ServiceError.invalidArgument(
          `WorkflowTaskFinishEventId ${finishEventId} is past the run's last event ${run.ms.nextEventId - 1}.`,
        );
      }
      const events = await engine.readEvents(run, 1, run.ms.nextEventId);
      return { ms: structuredClone(run.ms), events };
    },
  );
  const point = resetPointOf(base.events.slice(0, finishEventId), finishEventId);
  const kept = base.events.slice(0, point.startedEventId);
  const open = openWorkAt(kept);
  if (open.length > 0) {
    throw ServiceError.failedPrecondition(
      `Resetting to event ${finishEventId} would leave work open (${open.slice(0, 5).join(', ')}); Odin resets only ` +
        'to a workflow task where no activity, timer, child workflow, external request or update is open yet.',
    );
  }
  const reapply = reappliedEvents(
    base.events.slice(point.startedEventId),
    req.resetReapplyType,
    req.resetReapplyExcludeTypes,
  );
  const requestId = req.requestId || engine.uuid();
  const reason = req.reason ?? '';
  return engine.create(ns.id, workflowId, async (scope) => {
    const current = scope.current;
    if (!current) throw ServiceError.notFound(`Workflow execution not found. WorkflowId: ${workflowId}.`);
    if (current.createRequestId === requestId) return { result: { runId: current.runId } };
    if (current.status === WorkflowStatus.RUNNING) {
      terminateRun(await scope.open(current.runId), reason, req.identity ?? '', null);
    }
    const runId = scope.uuid();
    const mut = buildResetRun(scope, {
      base: base.ms,
      kept,
      point,
      reapply,
      newRunId: runId,
      reason,
      identity: req.identity ?? '',
      requestId,
    });
    return {
      result: { runId },
      create: { mut, current: { mode: 'replace', expectedCurrentRunId: current.runId }, requestId },
    };
  });
}

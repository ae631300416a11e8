import { ServiceError } from '@odin/api';
import type { CallContext, DeliverExternalRequest, NamespaceRef } from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { requestCancelRun } from '../../state/cancel-request.js';
import { isRunning } from '../../state/mutable-state.js';
import { signalRun } from '../../state/signal.js';

/**
 * The target's side of a SignalExternal / RequestCancelExternal command. NOT_FOUND when the target is missing,
 * closed, or (childWorkflowOnly) not a child of the source. Deduplicated by the signal's request id (derived from
 * the source run and initiated event) and by the cancel flag, so a re-run delivers once.
 */
export async function deliverExternal(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: DeliverExternalRequest,
  _ctx: CallContext,
): Promise<void> {
  await engine.update(ns.id, req.targetWorkflowId, req.targetRunId || undefined, (mut) => {
    const ms = mut.ms;
    if (!isRunning(ms)) throw ServiceError.notFound('The target workflow execution is closed.');
    if (req.childWorkflowOnly && ms.parent?.runId !== req.sourceRunId) {
      throw ServiceError.notFound('The target workflow is not a child of this workflow.');
    }
    if (req.kind === 'signal') {
      signalRun(mut, {
        name: req.signalName ?? '',
        input: req.input,
        header: req.header,
        identity: '',
        requestId: `external:${req.sourceRunId}:${req.initiatedEventId}`,
      });
      return;
    }
    requestCancelRun(mut, {
      cause: req.reason ?? '',
      externalInitiatedEventId: req.initiatedEventId,
      externalWorkflowExecution: { workflowId: req.sourceWorkflowId, runId: req.sourceRunId },
    });
  });
}

import { temporal } from '@odin/api';
import type { ApplyParentClosePolicyRequest, CallContext, NamespaceRef } from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { requestCancelRun } from '../../state/cancel-request.js';
import { isRunning } from '../../state/mutable-state.js';
import { terminateRun } from '../../state/terminate.js';

const ParentClosePolicy = temporal.api.enums.v1.ParentClosePolicy;

/**
 * The child's side of its parent closing: REQUEST_CANCEL asks it to cancel, anything else terminates it. Only a
 * running child that still names that parent run is touched, so re-runs and reused ids are harmless.
 */
export async function applyParentClosePolicy(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: ApplyParentClosePolicyRequest,
  _ctx: CallContext,
): Promise<void> {
  await engine.update(ns.id, req.workflowId, req.runId || undefined, (mut) => {
    const ms = mut.ms;
    if (!isRunning(ms) || ms.parent?.runId !== req.parentRunId) return;
    if (req.policy === ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL) {
      requestCancelRun(mut, { cause: 'ParentClosePolicy', identity: 'history' });
    } else {
      terminateRun(mut, 'by parent close policy', 'history', null);
    }
  });
}

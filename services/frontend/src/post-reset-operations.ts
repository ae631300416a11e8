import { status } from '@grpc/grpc-js';
import type { temporal as T } from '@temporalio/proto';
import { ServiceError } from '@odin/api';
import * as v from './validate.js';

/**
 * Checks a reset's `post_reset_operations` (ResetWorkflowExecution, and a batch reset before its job is written):
 * a `signal_workflow` needs a signal name within the id length limit; `update_workflow_options` sets workflow
 * execution options (a versioning override), which this server does not have, so it is refused with UNIMPLEMENTED
 * naming it rather than skipped.
 */
export function checkPostResetOperations(
  operations: readonly T.api.workflow.v1.IPostResetOperation[] | null | undefined,
): void {
  for (const [i, op] of (operations ?? []).entries()) {
    if (op.updateWorkflowOptions) {
      throw new ServiceError(
        status.UNIMPLEMENTED,
        'PostResetOperation update_workflow_options is not supported by this server: it sets workflow execution ' +
          'options (a versioning override), and Odin runs no worker versioning and does not implement ' +
          'UpdateWorkflowExecutionOptions.',
      );
    }
    if (!op.signalWorkflow) throw v.invalid(`PostResetOperations[${i}] has no operation set.`);
    const field = `PostResetOperations[${i}].SignalWorkflow.SignalName`;
    v.requireSet(op.signalWorkflow.signalName, field);
    v.maxIdBytes(op.signalWorkflow.signalName, field);
  }
}

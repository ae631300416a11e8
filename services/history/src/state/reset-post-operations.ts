import { status } from '@grpc/grpc-js';
import type { temporal as T } from '@temporalio/proto';
import { ServiceError } from '@odin/api';
import { EventType, type Mutation } from './history-builder.js';
import { signaledEvent, type WorkflowSignal } from './signal.js';

type PostResetOperation = T.api.workflow.v1.IPostResetOperation;

/** What a reset refuses for a post-reset operation that changes workflow execution options. */
export const UPDATE_WORKFLOW_OPTIONS_REFUSED =
  'PostResetOperation update_workflow_options is not supported by this server: it sets workflow execution options ' +
  '(a versioning override), and Odin runs no worker versioning and does not implement UpdateWorkflowExecutionOptions.';

/**
 * The signals a reset's `post_reset_operations` send to the new run, in order, checked before anything is changed:
 * `signal_workflow` needs a signal name; `update_workflow_options` is refused (UNIMPLEMENTED) rather than skipped,
 * so a reset never does less than it was asked; an operation with neither is INVALID_ARGUMENT.
 */
export function postResetSignals(
  operations: readonly PostResetOperation[] | null | undefined,
  identity: string,
): WorkflowSignal[] {
  const signals: WorkflowSignal[] = [];
  for (const [i, op] of (operations ?? []).entries()) {
    if (op.updateWorkflowOptions)
      throw new ServiceError(status.UNIMPLEMENTED, UPDATE_WORKFLOW_OPTIONS_REFUSED);
    const sig = op.signalWorkflow;
    if (!sig) throw ServiceError.invalidArgument(`PostResetOperations[${i}] has no operation set.`);
    if (!sig.signalName)
      throw ServiceError.invalidArgument(`PostResetOperations[${i}].SignalWorkflow.SignalName is not set.`);
    signals.push({
      name: sig.signalName,
      input: sig.input ?? null,
      header: sig.header ?? null,
      identity,
      // Not deduplicated: a retry of the reset itself is answered by its request id before anything is written.
      requestId: '',
    });
  }
  return signals;
}

/**
 * Writes the post-reset signals into the new run, after what the reset reapplied and before its workflow task is
 * scheduled (Temporal applies the post-reset operations at the same place).
 */
export function writePostResetSignals(mut: Mutation, signals: readonly WorkflowSignal[]): void {
  for (const signal of signals) {
    mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, signaledEvent(signal));
  }
}

import type { temporal as T } from '@temporalio/proto';
import { EventType } from '../state/history-builder.js';
import { idLengthError } from '@odin/persistence';
import { Cause, CommandFailure } from './command-context.js';
import type { CommandContext } from './command-context.js';

/** SignalExternalWorkflowExecutionInitiated and a transfer task that delivers the signal (same namespace only). */
export function signalExternal(
  ctx: CommandContext,
  attrs: T.api.command.v1.ISignalExternalWorkflowExecutionCommandAttributes | null | undefined,
): void {
  const namespace = ctx.namespace;
  const bad = (message: string) =>
    new CommandFailure(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES, message);
  if (!attrs?.execution?.workflowId) throw bad('The workflow id of the workflow to signal is not set.');
  const idProblem = idLengthError(attrs.execution.workflowId, 'WorkflowId');
  if (idProblem) throw bad(idProblem);
  if (!attrs.signalName) throw bad('SignalName is not set.');
  const nameProblem = idLengthError(attrs.signalName, 'SignalName');
  if (nameProblem) throw bad(nameProblem);
  if (attrs.namespace && attrs.namespace !== namespace) {
    throw bad('Signalling a workflow in another namespace is not supported by Odin yet.');
  }
  const { mut } = ctx;
  const event = mut.addEvent(EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
    signalExternalWorkflowExecutionInitiatedEventAttributes: {
      workflowTaskCompletedEventId: ctx.completedEventId,
      namespace,
      namespaceId: mut.ms.namespaceId,
      workflowExecution: { workflowId: attrs.execution.workflowId, runId: attrs.execution.runId ?? '' },
      signalName: attrs.signalName,
      input: attrs.input ?? null,
      control: attrs.control ?? '',
      childWorkflowOnly: attrs.childWorkflowOnly ?? false,
      header: attrs.header ?? null,
    },
  });
  const initiatedEventId = Number(event.eventId);
  mut.ms.pendingExternal ??= {};
  mut.ms.pendingExternal[String(initiatedEventId)] = 'signal';
  mut.addTransferTask('signal-external', { initiatedEventId });
}

/** RequestCancelExternalWorkflowExecutionInitiated and a transfer task that delivers the request. */
export function requestCancelExternal(
  ctx: CommandContext,
  attrs: T.api.command.v1.IRequestCancelExternalWorkflowExecutionCommandAttributes | null | undefined,
): void {
  const namespace = ctx.namespace;
  const bad = (message: string) =>
    new CommandFailure(
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
      message,
    );
  if (!attrs?.workflowId) throw bad('The workflow id of the workflow to cancel is not set.');
  const idProblem = idLengthError(attrs.workflowId, 'WorkflowId');
  if (idProblem) throw bad(idProblem);
  if (attrs.namespace && attrs.namespace !== namespace) {
    throw bad('Cancelling a workflow in another namespace is not supported by Odin yet.');
  }
  const { mut } = ctx;
  const event = mut.addEvent(EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED, {
    requestCancelExternalWorkflowExecutionInitiatedEventAttributes: {
      workflowTaskCompletedEventId: ctx.completedEventId,
      namespace,
      namespaceId: mut.ms.namespaceId,
      workflowExecution: { workflowId: attrs.workflowId, runId: attrs.runId ?? '' },
      control: attrs.control ?? '',
      childWorkflowOnly: attrs.childWorkflowOnly ?? false,
      reason: attrs.reason ?? '',
    },
  });
  const initiatedEventId = Number(event.eventId);
  mut.ms.pendingExternal ??= {};
  mut.ms.pendingExternal[String(initiatedEventId)] = 'cancel';
  mut.addTransferTask('cancel-external', { initiatedEventId });
}

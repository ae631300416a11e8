import type { HistoryEvent } from '../util/codec.js';
import { EventType } from './history-builder.js';
import type { Mutation } from './history-builder.js';
import { scheduleWorkflowTask } from './workflow-task.js';

type CancelRequestedAttributes = NonNullable<HistoryEvent['workflowExecutionCancelRequestedEventAttributes']>;

/**
 * WorkflowExecutionCancelRequested, once per run (a client, another workflow or a parent-close policy may ask), and a
 * workflow task so the workflow can react.
 */
export function requestCancelRun(mut: Mutation, attributes: CancelRequestedAttributes): void {
  const ms = mut.ms;
  if (ms.cancelRequested) return;
  ms.cancelRequested = true;
  mut.addOrBuffer(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED, {
    workflowExecutionCancelRequestedEventAttributes: attributes,
  });
  scheduleWorkflowTask(mut);
}

import { WorkflowStatus } from '@odin/persistence';
import type { Payloads } from '../util/codec.js';
import { closeRun } from './close.js';
import { EventType } from './history-builder.js';
import type { Mutation } from './history-builder.js';
import { failInFlightWorkflowTaskForClose } from './workflow-task.js';

/** Terminated closes the run at once: an in-flight workflow task fails, buffered events are written first. */
export function terminateRun(
  mut: Mutation,
  reason: string,
  identity: string,
  details: Payloads | null | undefined,
): void {
  failInFlightWorkflowTaskForClose(mut);
  closeRun(mut, WorkflowStatus.TERMINATED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, {
    workflowExecutionTerminatedEventAttributes: { reason, details: details ?? null, identity },
  });
}

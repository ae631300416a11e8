import { WorkflowStatus } from '@odin/persistence';
import type { temporal as T } from '@temporalio/proto';
import type { Payloads } from '../util/codec.js';
import { closeRun } from './close.js';
import { EventType } from './history-builder.js';
import type { Mutation } from './history-builder.js';
import { HISTORY_SERVICE_IDENTITY } from './history-limits.js';
import { failInFlightWorkflowTaskForClose, materializeTransient } from './workflow-task.js';

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

/**
 * The server ends a run whose workflow task it cannot accept (a command payload over the blob size limit), as
 * Temporal does: the task fails with `cause` and a server failure saying `reason`, then the run is terminated with
 * that reason by `history-service`. Retrying the task would only send the same completion again.
 */
export function terminateForFailedWorkflowTask(
  mut: Mutation,
  cause: T.api.enums.v1.WorkflowTaskFailedCause,
  reason: string,
  identity: string,
  binaryChecksum: string,
): void {
  const ms = mut.ms;
  const wft = ms.workflowTask;
  if (wft && wft.startedEventId > 0) {
    materializeTransient(mut);
    mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
      workflowTaskFailedEventAttributes: {
        scheduledEventId: wft.scheduledEventId,
        startedEventId: wft.startedEventId,
        cause,
        failure: { message: reason, source: 'Odin', serverFailureInfo: { nonRetryable: false } },
        identity,
        binaryChecksum,
      },
    });
    ms.workflowTask = undefined;
  }
  terminateRun(mut, reason, HISTORY_SERVICE_IDENTITY, null);
}

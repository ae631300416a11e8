import { ServiceError } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import { EventType } from './history-builder.js';
import type { Mutation } from './history-builder.js';
import { isRunning } from './mutable-state.js';
import { scheduleWorkflowTask } from './workflow-task.js';

/** How many signal request ids a run remembers for deduplication (the oldest are forgotten first). */
const MAX_REMEMBERED_SIGNAL_REQUESTS = 1_000;

/** A signal as it is recorded: by a client, by signal-with-start, or delivered from another workflow. */
export interface WorkflowSignal {
  name: string;
  input?: T.api.common.v1.IPayloads | null;
  header?: T.api.common.v1.IHeader | null;
  identity: string;
  /** Deduplicates retries of the same request; empty = never deduplicated. */
  requestId: string;
}

/** The WorkflowExecutionSignaled event of a signal (its attributes are the same wherever it comes from). */
export function signaledEvent(signal: WorkflowSignal) {
  return {
    workflowExecutionSignaledEventAttributes: {
      signalName: signal.name,
      input: signal.input ?? null,
      identity: signal.identity,
      header: signal.header ?? null,
      requestId: signal.requestId,
    },
  };
}

/** Remembers a signal's request id so a retry of the same request is recognised. */
export function rememberSignalRequest(mut: Mutation, requestId: string): void {
  if (!requestId) return;
  const ids = mut.ms.signalRequestIds;
  ids.push(requestId);
  if (ids.length > MAX_REMEMBERED_SIGNAL_REQUESTS) ids.shift();
}

/** Appends (or buffers) WorkflowExecutionSignaled once per request id and makes sure a workflow task follows. */
export function signalRun(mut: Mutation, signal: WorkflowSignal): void {
  const ms = mut.ms;
  if (!isRunning(ms)) throw ServiceError.notFound('Workflow execution already completed.');
  if (signal.requestId && ms.signalRequestIds.includes(signal.requestId)) return;
  mut.addOrBuffer(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, signaledEvent(signal));
  rememberSignalRequest(mut, signal.requestId);
  scheduleWorkflowTask(mut);
}

import { ServiceError } from '@odin/api';
import type { CallContext, NamespaceRef, RecordChildExecutionCompletedRequest } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import type { HistoryEngine } from '../../engine.js';
import { recordChildStarted } from '../../state/children.js';
import { EventType, STARTED_AT_FLUSH } from '../../state/history-builder.js';
import { isRunning } from '../../state/mutable-state.js';
import { scheduleWorkflowTask } from '../../state/workflow-task.js';
import type { HistoryEvent } from '../../util/codec.js';

const NOT_FOUND = 5;
/** Temporal follows at most 100 resets from the run a child names to the run that has it now. */
const MAX_RESET_HOPS = 100;

/**
 * The parent's side of a child run closing: ChildWorkflowExecution{Completed|Failed|Canceled|TimedOut|Terminated}
 * (after ChildWorkflowExecutionStarted if the start was never recorded) and a workflow task. A parent closed by a
 * reset passes it on to the run the reset created; a parent that is gone or closed otherwise, or no longer waits for
 * that child, has nothing to record.
 */
export async function recordChildExecutionCompleted(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: RecordChildExecutionCompletedRequest,
  _ctx: CallContext,
): Promise<void> {
  // A parent closed by a reset names the run that took its children over; follow the chain (a few hops at most).
  let parentRunId: string | undefined = req.parentRunId;
  for (let hop = 0; parentRunId && hop < MAX_RESET_HOPS; hop++) {
    parentRunId = await recordInParent(engine, ns, req, parentRunId, hop > 0);
  }
}

/** Records the close in one parent run; answers the run to try next when this one was reset, else undefined. */
async function recordInParent(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: RecordChildExecutionCompletedRequest,
  parentRunId: string,
  forwarded: boolean,
): Promise<string | undefined> {
  try {
    return await engine.update(ns.id, req.parentWorkflowId, parentRunId, (mut) => {
      if (!isRunning(mut.ms)) return mut.ms.resetRunId || undefined;
      const key = String(req.initiatedEventId);
      const info = mut.ms.children?.[key];
      // A forwarded close is for a child the base run initiated: the same event id here may be another child.
      if (!info || (forwarded && !info.adoptedByReset)) return undefined;
      if (!info.runId) recordChildStarted(mut, info, req.childRunId);
      const common = {
        namespace: info.namespace,
        namespaceId: info.namespaceId,
        workflowExecution: { workflowId: info.workflowId, runId: req.childRunId },
        workflowType: { name: info.workflowType },
        initiatedEventId: info.initiatedEventId,
        startedEventId: info.startedEventId || STARTED_AT_FLUSH,
      };
      delete mut.ms.children![key];
      const [type, fields] = childCloseEvent(req.completionEvent, common);
      mut.addOrBuffer(type, fields);
      scheduleWorkflowTask(mut);
      return undefined;
    });
  } catch (error) {
    if (!(error instanceof ServiceError && error.code === NOT_FOUND)) throw error;
    return undefined;
  }
}

function childCloseEvent(
  event: T.api.history.v1.IHistoryEvent,
  common: Record<string, unknown>,
): [T.api.enums.v1.EventType, Partial<HistoryEvent>] {
  if (event.workflowExecutionCompletedEventAttributes) {
    return [
      EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
      {
        childWorkflowExecutionCompletedEventAttributes: {
          ...common,
          result: event.workflowExecutionCompletedEventAttributes.result ?? null,
        },
      },
    ];
  }
  if (event.workflowExecutionFailedEventAttributes) {
    return [
      EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
      {
        childWorkflowExecutionFailedEventAttributes: {
          ...common,
          failure: event.workflowExecutionFailedEventAttributes.failure ?? null,
          retryState: event.workflowExecutionFailedEventAttributes.retryState ?? 0,
        },
      },
    ];
  }
  if (event.workflowExecutionCanceledEventAttributes) {
    return [
      EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
      {
        childWorkflowExecutionCanceledEventAttributes: {
          ...common,
          details: event.workflowExecutionCanceledEventAttributes.details ?? null,
        },
      },
    ];
  }
  if (event.workflowExecutionTimedOutEventAttributes) {
    return [
      EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
      {
        childWorkflowExecutionTimedOutEventAttributes: {
          ...common,
          retryState: event.workflowExecutionTimedOutEventAttributes.retryState ?? 0,
        },
      },
    ];
  }
  return [
    EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED,
    { childWorkflowExecutionTerminatedEventAttributes: common },
  ];
}

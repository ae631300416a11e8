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

/**
 * The parent's side of a child run closing: ChildWorkflowExecution{Completed|Failed|Canceled|TimedOut|Terminated}
 * (after ChildWorkflowExecutionStarted if the start was never recorded) and a workflow task. A parent that is gone
 * or closed, or no longer waits for that child, has nothing to record.
 */
export async function recordChildExecutionCompleted(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: RecordChildExecutionCompletedRequest,
  _ctx: CallContext,
): Promise<void> {
  try {
    await engine.update(ns.id, req.parentWorkflowId, req.parentRunId, (mut) => {
      if (!isRunning(mut.ms)) return;
      const key = String(req.initiatedEventId);
      const info = mut.ms.children?.[key];
      if (!info) return;
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
    });
  } catch (error) {
    if (!(error instanceof ServiceError && error.code === NOT_FOUND)) throw error;
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

import { toNumber } from '@odin/api';
import type { HistoryEvent } from '../util/codec.js';
import { EventType } from './history-builder.js';

/** An activity scheduled before a reset point and not closed by it; `started` when its Started event was written. */
export interface PendingActivity {
  readonly scheduled: HistoryEvent;
  started?: HistoryEvent;
}

/** A child workflow initiated before a reset point and not closed by it; `started` once its run exists. */
export interface PendingChild {
  readonly initiated: HistoryEvent;
  started?: HistoryEvent;
}

/** An update accepted before a reset point; `completedEventId` 0 while it was still running there. */
export interface KeptUpdate {
  readonly acceptedEventId: number;
  completedEventId: number;
}

/**
 * The work a run still had open at the end of `kept` (a reset point), as the history shows it: what the new run of
 * a reset must resume. Keys are the event ids (timer and update ids for timers and updates) that later events name.
 */
export interface PendingWork {
  readonly activities: Map<number, PendingActivity>;
  readonly timers: Map<string, HistoryEvent>;
  readonly children: Map<number, PendingChild>;
  readonly external: Map<number, { kind: 'signal' | 'cancel'; initiated: HistoryEvent }>;
  readonly updates: Map<string, KeptUpdate>;
}

const id = (v: unknown): number => toNumber(v as number);

/** Replays the events of `kept` over empty bookkeeping and returns what is left open at its end. */
export function pendingWorkAt(kept: readonly HistoryEvent[]): PendingWork {
  const work: PendingWork = {
    activities: new Map(),
    timers: new Map(),
    children: new Map(),
    external: new Map(),
    updates: new Map(),
  };
  for (const e of kept) {
    const eventId = id(e.eventId);
    switch (e.eventType) {
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        work.activities.set(eventId, { scheduled: e });
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED: {
        const activity = work.activities.get(id(e.activityTaskStartedEventAttributes?.scheduledEventId));
        if (activity) activity.started = e;
        break;
      }
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        work.activities.delete(id(e.activityTaskCompletedEventAttributes?.scheduledEventId));
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
        work.activities.delete(id(e.activityTaskFailedEventAttributes?.scheduledEventId));
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
        work.activities.delete(id(e.activityTaskTimedOutEventAttributes?.scheduledEventId));
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
        work.activities.delete(id(e.activityTaskCanceledEventAttributes?.scheduledEventId));
        break;
      case EventType.EVENT_TYPE_TIMER_STARTED:
        work.timers.set(e.timerStartedEventAttributes?.timerId ?? '', e);
        break;
      case EventType.EVENT_TYPE_TIMER_FIRED:
        work.timers.delete(e.timerFiredEventAttributes?.timerId ?? '');
        break;
      case EventType.EVENT_TYPE_TIMER_CANCELED:
        work.timers.delete(e.timerCanceledEventAttributes?.timerId ?? '');
        break;
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        work.children.set(eventId, { initiated: e });
        break;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED: {
        const child = work.children.get(id(e.childWorkflowExecutionStartedEventAttributes?.initiatedEventId));
        if (child) child.started = e;
        break;
      }
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
        work.children.delete(id(e.startChildWorkflowExecutionFailedEventAttributes?.initiatedEventId));
        break;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
        work.children.delete(id(e.childWorkflowExecutionCompletedEventAttributes?.initiatedEventId));
        break;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
        work.children.delete(id(e.childWorkflowExecutionFailedEventAttributes?.initiatedEventId));
        break;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
        work.children.delete(id(e.childWorkflowExecutionCanceledEventAttributes?.initiatedEventId));
        break;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
        work.children.delete(id(e.childWorkflowExecutionTimedOutEventAttributes?.initiatedEventId));
        break;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
        work.children.delete(id(e.childWorkflowExecutionTerminatedEventAttributes?.initiatedEventId));
        break;
      case EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
        work.external.set(eventId, { kind: 'signal', initiated: e });
        break;
      case EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
        work.external.set(eventId, { kind: 'cancel', initiated: e });
        break;
      case EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
        work.external.delete(id(e.signalExternalWorkflowExecutionFailedEventAttributes?.initiatedEventId));
        break;
      case EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED:
        work.external.delete(id(e.externalWorkflowExecutionSignaledEventAttributes?.initiatedEventId));
        break;
      case EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
        work.external.delete(
          id(e.requestCancelExternalWorkflowExecutionFailedEventAttributes?.initiatedEventId),
        );
        break;
      case EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        work.external.delete(id(e.externalWorkflowExecutionCancelRequestedEventAttributes?.initiatedEventId));
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        work.updates.set(e.workflowExecutionUpdateAcceptedEventAttributes?.protocolInstanceId ?? '', {
          acceptedEventId: eventId,
          completedEventId: 0,
        });
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED: {
        const update = work.updates.get(
          e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId ?? '',
        );
        if (update) update.completedEventId = eventId;
        break;
      }
      default:
        break;
    }
  }
  return work;
}

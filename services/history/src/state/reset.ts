import type { temporal as T } from '@temporalio/proto';
import { ServiceError, temporal, toNumber } from '@odin/api';
import type { HistoryEvent } from '../util/codec.js';
import { decodeMemo, decodeSearchAttributes, encodeMemo, encodeSearchAttributes } from '../util/codec.js';
import type { Loose } from '../util/proto.js';
import { EventType, type Mutation } from './history-builder.js';
import type { MutableState } from './mutable-state.js';
import { buildNewRun } from './new-run.js';
import { paramsFromStarted, type StartedAttributes } from './next-run.js';
import { scheduleWorkflowTask } from './workflow-task.js';

const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;
const ReapplyType = temporal.api.enums.v1.ResetReapplyType;
const ExcludeType = temporal.api.enums.v1.ResetReapplyExcludeType;

/** Where a reset cuts a run: the events before `finishEventId` are kept, the workflow task they end with fails. */
export interface ResetPoint {
  /** The event that finished the workflow task (Completed / Failed / TimedOut), or the one after its Started. */
  readonly finishEventId: number;
  /** That workflow task's Scheduled and Started events (Started is the last kept event). */
  readonly scheduledEventId: number;
  readonly startedEventId: number;
}

/**
 * Checks the event a reset names (Temporal's rule: a WorkflowTaskCompleted, WorkflowTaskFailed, WorkflowTaskTimedOut
 * or WorkflowTaskStarted event of the run) and returns the cut. `events` are the run's events from 1 up to and
 * including the named one.
 */
export function resetPointOf(events: readonly HistoryEvent[], eventId: number): ResetPoint {
  const named = events[eventId - 1];
  const invalid = () =>
    ServiceError.invalidArgument(
      `WorkflowTaskFinishEventId ${eventId} is not a WorkflowTaskCompleted, WorkflowTaskFailed, WorkflowTaskTimedOut ` +
        'or WorkflowTaskStarted event of the run.',
    );
  if (!named || toNumber(named.eventId as number) !== eventId) throw invalid();
  let startedEventId: number;
  switch (named.eventType) {
    case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
      startedEventId = eventId;
      break;
    case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
      startedEventId = toNumber(named.workflowTaskCompletedEventAttributes?.startedEventId as number);
      break;
    case EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED:
      startedEventId = toNumber(named.workflowTaskFailedEventAttributes?.startedEventId as number);
      break;
    case EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT:
      startedEventId = toNumber(named.workflowTaskTimedOutEventAttributes?.startedEventId as number);
      break;
    default:
      throw invalid();
  }
  const started = events[startedEventId - 1];
  // The task's outcome follows its Started event directly (a schedule-to-start timeout has no Started event).
  if (
    startedEventId <= 0 ||
    started?.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED ||
    (named.eventType !== EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED && startedEventId !== eventId - 1)
  ) {
    throw invalid();
  }
  return {
    finishEventId: startedEventId + 1,
    scheduledEventId: toNumber(started.workflowTaskStartedEventAttributes?.scheduledEventId as number),
    startedEventId,
  };
}

/**
 * What is still open after `kept` (activities, timers, children, external signals and cancels, updates): a reset to
 * such a point would have to resume them, which Odin does not do yet. Empty when nothing is open.
 */
export function openWorkAt(kept: readonly HistoryEvent[]): string[] {
  const open = new Map<string, string>();
  for (const e of kept) {
    const id = String(e.eventId);
    switch (e.eventType) {
      case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
        open.set(`a${id}`, `activity ${e.activityTaskScheduledEventAttributes?.activityId ?? ''}`);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED:
        open.delete(`a${e.activityTaskCompletedEventAttributes?.scheduledEventId}`);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED:
        open.delete(`a${e.activityTaskFailedEventAttributes?.scheduledEventId}`);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT:
        open.delete(`a${e.activityTaskTimedOutEventAttributes?.scheduledEventId}`);
        break;
      case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED:
        open.delete(`a${e.activityTaskCanceledEventAttributes?.scheduledEventId}`);
        break;
      case EventType.EVENT_TYPE_TIMER_STARTED:
        open.set(
          `t${e.timerStartedEventAttributes?.timerId}`,
          `timer ${e.timerStartedEventAttributes?.timerId}`,
        );
        break;
      case EventType.EVENT_TYPE_TIMER_FIRED:
        open.delete(`t${e.timerFiredEventAttributes?.timerId}`);
        break;
      case EventType.EVENT_TYPE_TIMER_CANCELED:
        open.delete(`t${e.timerCanceledEventAttributes?.timerId}`);
        break;
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
        open.set(
          `c${id}`,
          `child ${e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? ''}`,
        );
        break;
      case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED:
        open.delete(`c${e.startChildWorkflowExecutionFailedEventAttributes?.initiatedEventId}`);
        break;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED:
        open.delete(`c${e.childWorkflowExecutionCompletedEventAttributes?.initiatedEventId}`);
        break;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED:
        open.delete(`c${e.childWorkflowExecutionFailedEventAttributes?.initiatedEventId}`);
        break;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED:
        open.delete(`c${e.childWorkflowExecutionCanceledEventAttributes?.initiatedEventId}`);
        break;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT:
        open.delete(`c${e.childWorkflowExecutionTimedOutEventAttributes?.initiatedEventId}`);
        break;
      case EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED:
        open.delete(`c${e.childWorkflowExecutionTerminatedEventAttributes?.initiatedEventId}`);
        break;
      case EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
      case EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
        open.set(`x${id}`, 'external signal or cancel request');
        break;
      case EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
        open.delete(`x${e.signalExternalWorkflowExecutionFailedEventAttributes?.initiatedEventId}`);
        break;
      case EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED:
        open.delete(`x${e.externalWorkflowExecutionSignaledEventAttributes?.initiatedEventId}`);
        break;
      case EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED:
        open.delete(`x${e.requestCancelExternalWorkflowExecutionFailedEventAttributes?.initiatedEventId}`);
        break;
      case EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        open.delete(`x${e.externalWorkflowExecutionCancelRequestedEventAttributes?.initiatedEventId}`);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        open.set(
          `u${e.workflowExecutionUpdateAcceptedEventAttributes?.protocolInstanceId}`,
          `update ${e.workflowExecutionUpdateAcceptedEventAttributes?.protocolInstanceId ?? ''}`,
        );
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
        open.delete(`u${e.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId}`);
        break;
      default:
        break;
    }
  }
  return [...open.values()];
}

/** Which events after the reset point are applied again to the new run (Temporal: signals, unless excluded). */
export function reappliedEvents(
  after: readonly HistoryEvent[],
  reapplyType: number | null | undefined,
  excludeTypes: readonly number[] | null | undefined,
): HistoryEvent[] {
  if (reapplyType === ReapplyType.RESET_REAPPLY_TYPE_NONE) return [];
  if (excludeTypes?.includes(ExcludeType.RESET_REAPPLY_EXCLUDE_TYPE_SIGNAL)) return [];
  return after.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
}

export interface ResetRunInput {
  readonly base: MutableState;
  /** The base run's events 1 .. point.startedEventId, copied into the new run as they are. */
  readonly kept: readonly HistoryEvent[];
  readonly point: ResetPoint;
  readonly reapply: readonly HistoryEvent[];
  readonly newRunId: string;
  readonly reason: string;
  readonly identity: string;
  readonly requestId: string;
}

function fieldsOf(event: HistoryEvent): Partial<HistoryEvent> {
  const {
    eventId: _id,
    eventTime: _time,
    eventType: _type,
    ...fields
  } = event as HistoryEvent & Record<string, unknown>;
  return fields as Partial<HistoryEvent>;
}

function timeOf(event: HistoryEvent, fallback: number): number {
  const t = event.eventTime as { seconds?: unknown; nanos?: number } | null | undefined;
  if (!t) return fallback;
  return toNumber(t.seconds as number) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/**
 * The new run of a reset: the base run's events up to the reset point's WorkflowTaskStarted, copied as they are, then
 * WorkflowTaskFailed (cause RESET_WORKFLOW, naming both runs), the reapplied signals and a new workflow task. Its
 * start settings, memo and search attributes are those of the base run at the point; nothing is open there (the
 * caller checked `openWorkAt`).
 */
export function buildResetRun(
  origin: { readonly now: number; readonly uuid: () => string },
  input: ResetRunInput,
): Mutation {
  const { base, kept, point } = input;
  const first = kept[0];
  const started = first?.workflowExecutionStartedEventAttributes as StartedAttributes | undefined;
  if (!first || !started) throw ServiceError.internal('The base run has no WorkflowExecutionStarted event.');
  const mut = buildNewRun(
    origin,
    base.namespaceId,
    {
      workflowId: base.workflowId,
      workflowType: base.workflowType,
      taskQueue: base.taskQueue,
      ...paramsFromStarted(started),
      identity: input.identity,
      requestId: input.requestId,
      reusePolicy: 0,
      conflictPolicy: 0,
      retryPolicy: started.retryPolicy as T.api.common.v1.IRetryPolicy | null | undefined,
      cronSchedule: started.cronSchedule ?? '',
    },
    input.newRunId,
    {
      continuation: {
        continuedExecutionRunId: started.continuedExecutionRunId ?? '',
        firstExecutionRunId: base.firstExecutionRunId,
        executionExpirationTime: base.executionExpirationTime,
        attempt: base.attempt ?? 1,
        backoffMs: 0,
        ...(base.parent ? { parent: base.parent } : {}),
      },
    },
  );
  // Keep the run's settings and timeout timers, but not the fresh history: the base run's own events replace it.
  const ms = mut.ms;
  mut.events.length = 0;
  for (let i = mut.tasks.length - 1; i >= 0; i--) {
    if (mut.tasks[i]?.category !== 'timer' || String(mut.tasks[i]?.taskType).startsWith('workflow-task')) {
      mut.tasks.splice(i, 1);
    }
  }
  ms.workflowTask = undefined;
  ms.workflowTaskAttempt = 1;
  ms.nextEventId = 1;
  ms.startTime = timeOf(first, mut.now);
  let memo = decodeMemo(ms.memo)?.fields ?? {};
  let searchAttributes = decodeSearchAttributes(ms.searchAttributes)?.indexedFields ?? {};
  for (const event of kept) {
    mut.addEvent(event.eventType as T.api.enums.v1.EventType, fieldsOf(event), timeOf(event, mut.now));
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        ms.lastCompletedStartedEventId = toNumber(
          event.workflowTaskCompletedEventAttributes?.startedEventId as number,
        );
        break;
      case EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: {
        const fields =
          event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
        searchAttributes = { ...searchAttributes };
        for (const [name, payload] of Object.entries(fields)) {
          if (!payload?.data || payload.data.length === 0) delete searchAttributes[name];
          else
            searchAttributes[name] = payload as Loose<T.api.common.v1.IPayload> as T.api.common.v1.IPayload;
        }
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED: {
        const fields = event.workflowPropertiesModifiedEventAttributes?.upsertedMemo?.fields ?? {};
        memo = { ...memo };
        for (const [name, payload] of Object.entries(fields)) {
          if (!payload?.data || payload.data.length === 0) delete memo[name];
          else memo[name] = payload as T.api.common.v1.IPayload;
        }
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED:
        ms.cancelRequested = true;
        break;
      default:
        break;
    }
  }
  ms.memo = encodeMemo({ fields: memo });
  ms.searchAttributes = encodeSearchAttributes({ indexedFields: searchAttributes });
  mut.visibilityChanged = true;
  mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
    workflowTaskFailedEventAttributes: {
      scheduledEventId: point.scheduledEventId,
      startedEventId: point.startedEventId,
      cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_RESET_WORKFLOW,
      failure: { message: input.reason, resetWorkflowFailureInfo: {} },
      identity: input.identity,
      baseRunId: base.runId,
      newRunId: input.newRunId,
    },
  });
  for (const signal of input.reapply) {
    mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, fieldsOf(signal));
  }
  scheduleWorkflowTask(mut);
  return mut;
}

import type { temporal as T } from '@temporalio/proto';
import { ServiceError, temporal, toNumber } from '@odin/api';
import type { HistoryEvent } from '../util/codec.js';
import { decodeMemo, decodeSearchAttributes, encodeMemo, encodeSearchAttributes } from '../util/codec.js';
import type { Loose } from '../util/proto.js';
import { EventType, type Mutation } from './history-builder.js';
import type { MutableState } from './mutable-state.js';
import { buildNewRun } from './new-run.js';
import { paramsFromStarted, type StartedAttributes } from './next-run.js';
import { adoptChildren, reconnectChildren } from './reset-children.js';
import type { PendingWork } from './reset-pending.js';
import { writePostResetSignals } from './reset-post-operations.js';
import { writeReapplied } from './reset-reapply.js';
import { resumePendingWork } from './reset-resume.js';
import { rememberSignalRequest, type WorkflowSignal } from './signal.js';
import { forgetAdmittedUpdate, recordAdmittedUpdate } from './updates.js';
import { scheduleWorkflowTask } from './workflow-task.js';

const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;

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

export interface ResetRunInput {
  readonly base: MutableState;
  /** The base run's events 1 .. point.startedEventId, copied into the new run as they are. */
  readonly kept: readonly HistoryEvent[];
  readonly point: ResetPoint;
  /** What the kept history leaves open. */
  readonly work: PendingWork;
  /** All the base run's events after the point (what it recorded about the children the new run takes over). */
  readonly after: readonly HistoryEvent[];
  /** The base run's events after the point that the new run gets again (see reset-reapply.ts). */
  readonly reapply: readonly HistoryEvent[];
  /** The signals of the request's post-reset operations, written after the reapplied events. */
  readonly postResetSignals?: readonly WorkflowSignal[];
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
 * WorkflowTaskFailed (cause RESET_WORKFLOW, naming both runs), the work open at the point resumed (reset-resume.ts),
 * the reapplied signals and updates, the post-reset signals, and a new workflow task. Its start settings, memo and search attributes are
 * those of the base run at the point.
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
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        rememberSignalRequest(mut, event.workflowExecutionSignaledEventAttributes?.requestId ?? '');
        break;
      // An update admitted by an event and not accepted in the kept history is admitted in the new run too.
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED:
        recordAdmittedUpdate(
          ms,
          event.workflowExecutionUpdateAdmittedEventAttributes?.request?.meta?.updateId ?? '',
          toNumber(event.eventId as number),
        );
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
        forgetAdmittedUpdate(
          ms,
          event.workflowExecutionUpdateAcceptedEventAttributes?.protocolInstanceId ?? '',
        );
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
  resumePendingWork(mut, input.work, kept, input.reason);
  adoptChildren(mut, input.work);
  reconnectChildren(mut, input.after);
  writeReapplied(mut, input.reapply);
  writePostResetSignals(mut, input.postResetSignals ?? []);
  scheduleWorkflowTask(mut);
  return mut;
}

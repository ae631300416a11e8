import type { temporal as T } from '@temporalio/proto';
import { msToDuration, msToTimestamp, temporal } from '@odin/api';
import type { Failure, HistoryEvent } from '../util/codec.js';
import { EventType } from './history-builder.js';
import type { Mutation } from './history-builder.js';
import { isRunning } from './mutable-state.js';
import type { MutableState, WorkflowTaskInfo } from './mutable-state.js';

const NORMAL_KIND = temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL;
const STICKY_KIND = temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY;
/** Used when a worker asks for stickiness without a schedule-to-start timeout. */
export const DEFAULT_STICKY_SCHEDULE_TO_START_MS = 10_000;

/** Forgets the worker cache that held the run: the next workflow task goes to the normal queue with full history. */
export function clearStickiness(mut: Mutation): void {
  const ms = mut.ms;
  if (ms.stickyTaskQueue === undefined) return;
  ms.stickyTaskQueue = undefined;
  ms.stickyScheduleToStartMs = undefined;
  mut.dirty = true;
}

/**
 * Matching refused a scheduled sticky task (no poller on the sticky queue lately): the same task goes to the
 * normal queue instead, and the run is no longer sticky. False when the task is no longer that sticky task.
 */
export function redirectStickyTaskToNormalQueue(mut: Mutation, scheduledEventId: number): boolean {
  const wft = mut.ms.workflowTask;
  if (!wft?.sticky || wft.scheduledEventId !== scheduledEventId || wft.startedEventId > 0) return false;
  clearStickiness(mut);
  wft.sticky = false;
  wft.taskQueue = mut.ms.taskQueue;
  mut.dirty = true;
  mut.addTransferTask('workflow-task', { taskQueue: wft.taskQueue, scheduledEventId });
  return true;
}
export const WorkflowTaskFailedCause = temporal.api.enums.v1.WorkflowTaskFailedCause;
export const TimeoutType = temporal.api.enums.v1.TimeoutType;

/**
 * Schedules the next workflow task unless one exists or the run is closed. Attempts > 1 are transient. A
 * speculative task (one that only delivers updates) is transient from its first attempt: its Scheduled/Started
 * events are written only if its completion writes something.
 */
export function scheduleWorkflowTask(
  mut: Mutation,
  options: { handOff?: boolean; speculative?: boolean } = {},
): void {
  const ms = mut.ms;
  if (ms.workflowTask || !isRunning(ms)) return;
  // Before a delayed first task (start delay, retry backoff) only events are recorded; the backoff timer schedules.
  if ((ms.backoffUntil ?? 0) > mut.now) return;
  const attempt = Math.max(1, ms.workflowTaskAttempt);
  const speculative = options.speculative === true && attempt === 1;
  const transient = attempt > 1 || speculative;
  // Retries of a failing task always go to the normal queue (failures clear stickiness; this is a safety net).
  const sticky = ms.stickyTaskQueue !== undefined && attempt === 1;
  const taskQueue = sticky ? ms.stickyTaskQueue! : ms.taskQueue;
  let scheduledEventId = ms.nextEventId;
  if (!transient) {
    const ev = mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, {
      workflowTaskScheduledEventAttributes: {
        taskQueue: sticky
          ? { name: taskQueue, kind: STICKY_KIND, normalName: ms.taskQueue }
          : { name: taskQueue, kind: NORMAL_KIND },
        startToCloseTimeout: msToDuration(ms.workflowTaskTimeoutMs),
        attempt,
      },
    });
    scheduledEventId = Number(ev.eventId);
  }
  ms.workflowTask = {
    scheduledEventId,
    startedEventId: 0,
    attempt,
    scheduledTime: mut.now,
    startedTime: 0,
    requestId: '',
    identity: '',
    taskQueue,
    startToCloseMs: ms.workflowTaskTimeoutMs,
    transient,
    ...(sticky ? { sticky: true } : {}),
    ...(speculative ? { speculative: true } : {}),
  };
  mut.dirty = true;
  // handOff false: the caller starts the task itself in this transition (eager workflow start).
  if (options.handOff === false) return;
  mut.addTransferTask('workflow-task', { taskQueue, scheduledEventId, ...(sticky ? { sticky: true } : {}) });
  if (sticky) {
    mut.addTimerTask(
      'workflow-task-schedule-to-start',
      mut.now + (ms.stickyScheduleToStartMs ?? DEFAULT_STICKY_SCHEDULE_TO_START_MS),
      // A dropped speculative task's ids are taken again by the next task: its timers also name their task's time.
      { scheduledEventId, attempt, ...(speculative ? { scheduledTime: mut.now } : {}) },
    );
  }
}

/** The history sizes from which a workflow task tells its workflow to continue as new. */
export interface ContinueAsNewThresholds {
  readonly countSuggestContinueAsNew: number;
  readonly sizeSuggestContinueAsNew: number;
}

const SuggestReason = temporal.api.enums.v1.SuggestContinueAsNewReason;

/**
 * The WorkflowTaskStarted fields that suggest continue-as-new (Temporal's `suggest_continue_as_new` and its
 * reasons): the run's history, counting the started event itself, reached a threshold.
 */
export function continueAsNewSuggestion(
  ms: MutableState,
  startedEventId: number,
  thresholds: ContinueAsNewThresholds | undefined,
  historySizeBytes = ms.historySizeBytes,
): {
  suggestContinueAsNew?: boolean;
  suggestContinueAsNewReasons?: T.api.enums.v1.SuggestContinueAsNewReason[];
} {
  if (!thresholds) return {};
  const reasons: T.api.enums.v1.SuggestContinueAsNewReason[] = [];
  if (historySizeBytes >= thresholds.sizeSuggestContinueAsNew)
    reasons.push(SuggestReason.SUGGEST_CONTINUE_AS_NEW_REASON_HISTORY_SIZE_TOO_LARGE);
  if (startedEventId >= thresholds.countSuggestContinueAsNew)
    reasons.push(SuggestReason.SUGGEST_CONTINUE_AS_NEW_REASON_TOO_MANY_HISTORY_EVENTS);
  return reasons.length > 0 ? { suggestContinueAsNew: true, suggestContinueAsNewReasons: reasons } : {};
}

/**
 * Marks the scheduled workflow task started (RecordWorkflowTaskStarted) and arms its start-to-close timeout.
 * `uncommittedBytes`: the encoded size of this transition's earlier events, which the run's history size counts only
 * once committed; a task started in the transition that scheduled it reports the same size as one started later.
 */
export function startWorkflowTask(
  mut: Mutation,
  requestId: string,
  identity: string,
  thresholds?: ContinueAsNewThresholds,
  uncommittedBytes = 0,
): WorkflowTaskInfo {
  const ms = mut.ms;
  const wft = ms.workflowTask!;
  wft.startedTime = mut.now;
  wft.requestId = requestId;
  wft.identity = identity;
  if (wft.transient) {
    wft.startedEventId = wft.scheduledEventId + 1;
  } else {
    const historySizeBytes = ms.historySizeBytes + uncommittedBytes;
    const ev = mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED, {
      workflowTaskStartedEventAttributes: {
        scheduledEventId: wft.scheduledEventId,
        identity,
        requestId,
        historySizeBytes,
        ...continueAsNewSuggestion(ms, ms.nextEventId, thresholds, historySizeBytes),
      },
    });
    wft.startedEventId = Number(ev.eventId);
  }
  mut.dirty = true;
  mut.addTimerTask('workflow-task-timeout', mut.now + wft.startToCloseMs, {
    scheduledEventId: wft.scheduledEventId,
    startedEventId: wft.startedEventId,
    attempt: wft.attempt,
    ...(wft.speculative ? { startedTime: wft.startedTime } : {}),
  });
  return wft;
}

/**
 * The started workflow task named by a start-to-close timeout times out (WorkflowTaskTimedOut, the next attempt
 * scheduled); nothing happens when the run's task is another one by now (the timer is stale).
 */
export function timeOutWorkflowTask(
  mut: Mutation,
  data: { scheduledEventId: number; startedEventId: number; attempt: number; startedTime?: number },
): void {
  const wft = mut.ms.workflowTask;
  if (
    !wft ||
    wft.scheduledEventId !== data.scheduledEventId ||
    wft.startedEventId !== data.startedEventId ||
    wft.attempt !== data.attempt ||
    wft.startedEventId === 0 ||
    // A speculative task's timer: a later task with the same ids (the first one was dropped) is not its task.
    (data.startedTime !== undefined && data.startedTime !== wft.startedTime)
  ) {
    return;
  }
  failWorkflowTask(mut, { kind: 'timed-out', timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE });
}

/** The Scheduled + Started events of a transient task, as the poll response appends them. */
export function transientEvents(ms: MutableState, thresholds?: ContinueAsNewThresholds): HistoryEvent[] {
  const wft = ms.workflowTask;
  if (!wft?.transient) return [];
  const events: HistoryEvent[] = [
    {
      eventId: wft.scheduledEventId,
      eventTime: msToTimestamp(wft.scheduledTime),
      eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
      workflowTaskScheduledEventAttributes: {
        // Only a speculative task can be sticky and transient at once (retries go to the normal queue).
        taskQueue: wft.sticky
          ? { name: wft.taskQueue, kind: STICKY_KIND, normalName: ms.taskQueue }
          : { name: wft.taskQueue, kind: NORMAL_KIND },
        startToCloseTimeout: msToDuration(wft.startToCloseMs),
        attempt: wft.attempt,
      },
    },
  ];
  if (wft.startedEventId > 0) {
    events.push({
      eventId: wft.startedEventId,
      eventTime: msToTimestamp(wft.startedTime),
      eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
      workflowTaskStartedEventAttributes: {
        scheduledEventId: wft.scheduledEventId,
        identity: wft.identity,
        requestId: wft.requestId,
        historySizeBytes: ms.historySizeBytes,
        ...continueAsNewSuggestion(ms, wft.startedEventId, thresholds),
      },
    });
  }
  return events;
}

/** Before a transient task's outcome is written, its Scheduled/Started events become real history. */
export function materializeTransient(mut: Mutation): void {
  const wft = mut.ms.workflowTask;
  if (!wft?.transient) return;
  for (const ev of transientEvents(mut.ms)) {
    const { eventId: _id, eventType, eventTime: _time, ...fields } = ev;
    mut.addEvent(
      eventType as EventTypeNumber,
      fields,
      eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED ? wft.scheduledTime : wft.startedTime,
    );
  }
  wft.transient = false;
  wft.speculative = undefined;
}

type EventTypeNumber = T.api.enums.v1.EventType;

/**
 * Ends the current workflow task without a completion (worker failure, unhandled command, timeout) and schedules
 * the next one. The first failure is recorded; later attempts stay transient. New buffered events make the next task
 * a normal one again.
 */
export function failWorkflowTask(
  mut: Mutation,
  outcome:
    | {
        kind: 'failed';
        cause: T.api.enums.v1.WorkflowTaskFailedCause;
        failure?: Failure | null;
        identity?: string;
        binaryChecksum?: string;
      }
    | { kind: 'timed-out'; timeoutType: T.api.enums.v1.TimeoutType },
  options: { resetAttempt?: boolean; keepAttempt?: boolean } = {},
): void {
  const ms = mut.ms;
  const wft = ms.workflowTask;
  if (!wft) return;
  // A speculative task that fails is recorded like a normal first attempt: its events are written before the failure.
  if (wft.speculative) materializeTransient(mut);
  // The worker that held the run may be gone or broken: the next attempt replays from full history anywhere.
  clearStickiness(mut);
  if (!wft.transient) {
    if (outcome.kind === 'failed') {
      mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
        workflowTaskFailedEventAttributes: {
          scheduledEventId: wft.scheduledEventId,
          startedEventId: wft.startedEventId,
          cause: outcome.cause,
          failure: outcome.failure ?? null,
          identity: outcome.identity ?? '',
          binaryChecksum: outcome.binaryChecksum ?? '',
        },
      });
    } else {
      mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT, {
        workflowTaskTimedOutEventAttributes: {
          scheduledEventId: wft.scheduledEventId,
          startedEventId: wft.startedEventId,
          timeoutType: outcome.timeoutType,
        },
      });
    }
  }
  ms.workflowTask = undefined;
  ms.workflowTaskAttempt = options.keepAttempt ? wft.attempt : wft.attempt + 1;
  mut.dirty = true;
  const flushed = mut.flushBuffered();
  if (flushed > 0 || options.resetAttempt) ms.workflowTaskAttempt = 1;
  scheduleWorkflowTask(mut);
}

/** Before a run closes from outside (terminate, timeout): an in-flight task fails, buffered events are written. */
export function failInFlightWorkflowTaskForClose(mut: Mutation): void {
  const ms = mut.ms;
  const wft = ms.workflowTask;
  if (wft && wft.startedEventId > 0) {
    materializeTransient(mut);
    mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED, {
      workflowTaskFailedEventAttributes: {
        scheduledEventId: wft.scheduledEventId,
        startedEventId: wft.startedEventId,
        cause: WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_FORCE_CLOSE_COMMAND,
      },
    });
  }
  ms.workflowTask = undefined;
  mut.flushBuffered();
}

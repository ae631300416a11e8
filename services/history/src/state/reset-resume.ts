import { durationToMs, toNumber } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import type { HistoryEvent } from '../util/codec.js';
import type { Loose } from '../util/proto.js';
import { RetryState, retrySettings } from './activity.js';
import { addScheduledActivity } from './activity-transitions.js';
import { EventType } from './history-builder.js';
import type { Mutation } from './history-builder.js';
import type { PendingActivity, PendingWork } from './reset-pending.js';

// The new run of a reset picks up the work its kept history left open, the way Temporal's resetter does after it
// rebuilt the run from those events: activities are scheduled again (or failed, when their Started event is in the
// kept history), timers are armed at the expiry their TimerStarted event gave them, external signals and cancel
// requests are sent again, accepted updates stay open for the worker to finish.

function timeOf(event: HistoryEvent): number {
  const t = event.eventTime as { seconds?: unknown; nanos?: number } | null | undefined;
  if (!t) return 0;
  return toNumber(t.seconds as number) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
}

/**
 * An activity whose ActivityTaskStarted is in the kept history fails with a ResetWorkflowFailure that no retry
 * follows (Temporal's rule): the workflow sees it fail and decides. Odin, like Temporal for activities with a retry
 * policy, writes ActivityTaskStarted only with the close event, so this is the rare case; see `rescheduleActivity`.
 */
function failStartedActivity(mut: Mutation, activity: PendingActivity, reason: string): void {
  const started = activity.started!;
  mut.addEvent(EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED, {
    activityTaskFailedEventAttributes: {
      failure: { message: reason, resetWorkflowFailureInfo: { lastHeartbeatDetails: null } },
      scheduledEventId: toNumber(activity.scheduled.eventId as number),
      startedEventId: toNumber(started.eventId as number),
      identity: started.activityTaskStartedEventAttributes?.identity ?? '',
      retryState: RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE,
    },
  });
}

/**
 * An activity still waiting at the point (or running, with its Started event not written yet) is scheduled again
 * in the new run, first attempt, its schedule time now: a new transfer task hands it to matching, and its
 * schedule-to-start and schedule-to-close timeouts count from now. A worker still running the base run's attempt
 * finds its task token refused (that run is closed).
 */
function rescheduleActivity(mut: Mutation, activity: PendingActivity): void {
  const attrs = activity.scheduled.activityTaskScheduledEventAttributes as
    | Loose<T.api.history.v1.IActivityTaskScheduledEventAttributes>
    | null
    | undefined;
  if (!attrs) throw new Error(`event ${activity.scheduled.eventId} has no ActivityTaskScheduled attributes`);
  addScheduledActivity(mut, {
    scheduledEventId: toNumber(activity.scheduled.eventId as number),
    attributes: attrs,
    taskQueue: attrs.taskQueue?.name || mut.ms.taskQueue,
    timeouts: {
      scheduleToStartMs: durationToMs(attrs.scheduleToStartTimeout) ?? 0,
      scheduleToCloseMs: durationToMs(attrs.scheduleToCloseTimeout) ?? 0,
      startToCloseMs: durationToMs(attrs.startToCloseTimeout) ?? 0,
      heartbeatMs: durationToMs(attrs.heartbeatTimeout) ?? 0,
    },
    retry: retrySettings(attrs.retryPolicy as T.api.common.v1.IRetryPolicy | null | undefined),
  });
}

/** A cancel the workflow asked for before the point stays asked for: the reset run's activity carries it. */
function carryCancelRequests(mut: Mutation, kept: readonly HistoryEvent[]): void {
  for (const e of kept) {
    if (e.eventType !== EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED) continue;
    const attrs = e.activityTaskCancelRequestedEventAttributes;
    const ai = mut.ms.activities[String(toNumber(attrs?.scheduledEventId as number))];
    if (!ai) continue;
    ai.cancelRequested = true;
    ai.cancelRequestedEventId = toNumber(e.eventId as number);
  }
}

/**
 * Resumes in the new run (its kept events and WorkflowTaskFailed already written) the work open at the reset point.
 * Child workflows are taken over in reset-children.ts.
 */
export function resumePendingWork(
  mut: Mutation,
  work: PendingWork,
  kept: readonly HistoryEvent[],
  reason: string,
): void {
  const ms = mut.ms;
  for (const activity of [...work.activities.values()].sort(
    (a, b) => toNumber(a.scheduled.eventId as number) - toNumber(b.scheduled.eventId as number),
  )) {
    if (activity.started) failStartedActivity(mut, activity, reason);
    else rescheduleActivity(mut, activity);
  }
  carryCancelRequests(mut, kept);
  // A timer keeps the expiry its TimerStarted event gave it (event time + start-to-fire), as a rebuilt Temporal
  // run does: one that should have fired by now fires as soon as the timer queue reaches its task.
  for (const [timerId, started] of work.timers) {
    const startedEventId = toNumber(started.eventId as number);
    const expiryTime =
      timeOf(started) + (durationToMs(started.timerStartedEventAttributes?.startToFireTimeout) ?? 0);
    ms.timers[timerId] = { timerId, startedEventId, expiryTime };
    mut.addTimerTask('user-timer', expiryTime, { timerId, startedEventId });
  }
  // Sent again from the new run; the target sees a request from that run (deduplicated per run and initiated id).
  for (const [initiatedEventId, { kind }] of work.external) {
    ms.pendingExternal ??= {};
    ms.pendingExternal[String(initiatedEventId)] = kind;
    mut.addTransferTask(kind === 'signal' ? 'signal-external' : 'cancel-external', { initiatedEventId });
  }
  // Accepted updates are part of the kept history: one still running there is finished by the worker's replay.
  for (const [updateId, update] of work.updates) {
    ms.updates ??= {};
    ms.updates[updateId] = { ...update };
  }
  mut.dirty = true;
}

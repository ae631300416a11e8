import { temporal } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import { decodeFailure, encodeFailure, decodePayloads, toBase64 } from '../util/codec.js';
import { asProto } from '../util/proto.js';
import type { Failure } from '../util/codec.js';
import type { Loose } from '../util/proto.js';
import { decideRetry, RetryState } from './activity.js';
import { EventType } from './history-builder.js';
import type { Mutation } from './history-builder.js';
import type { ActivityInfo } from './mutable-state.js';
import { scheduleWorkflowTask } from './workflow-task.js';

const TimeoutType = temporal.api.enums.v1.TimeoutType;
type TimeoutTypeValue = T.api.enums.v1.TimeoutType;

function startedAttributes(ai: ActivityInfo): Loose<T.api.history.v1.IActivityTaskStartedEventAttributes> {
  return {
    scheduledEventId: ai.scheduledEventId,
    identity: ai.startedIdentity,
    requestId: ai.startedRequestId,
    attempt: ai.attempt,
    lastFailure: decodeFailure(ai.lastFailure) ?? null,
  };
}

function finish(mut: Mutation, ai: ActivityInfo): void {
  delete mut.ms.activities[String(ai.scheduledEventId)];
  scheduleWorkflowTask(mut);
}

export function completeActivity(
  mut: Mutation,
  ai: ActivityInfo,
  result: T.api.common.v1.IPayloads | null | undefined,
  identity: string,
): void {
  mut.addActivityClose(
    startedAttributes(ai),
    EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
    (startedEventId) => ({
      activityTaskCompletedEventAttributes: {
        result: result ?? null,
        scheduledEventId: ai.scheduledEventId,
        startedEventId,
        identity,
      },
    }),
  );
  finish(mut, ai);
}

export function cancelActivity(
  mut: Mutation,
  ai: ActivityInfo,
  details: T.api.common.v1.IPayloads | null | undefined,
  identity: string,
): void {
  mut.addActivityClose(
    startedAttributes(ai),
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED,
    (startedEventId) => ({
      activityTaskCanceledEventAttributes: {
        details: details ?? null,
        latestCancelRequestedEventId: ai.cancelRequestedEventId,
        scheduledEventId: ai.scheduledEventId,
        startedEventId,
        identity,
      },
    }),
  );
  finish(mut, ai);
}

/** Retries (a timer, no event) when the policy allows, else ActivityTaskStarted + ActivityTaskFailed. */
export function failActivity(
  mut: Mutation,
  ai: ActivityInfo,
  failure: Failure | null | undefined,
  identity: string,
): void {
  const decision = decideRetry(ai, mut.now, failure ?? undefined);
  if (decision.retry) {
    retryActivity(mut, ai, decision.backoffMs, failure ?? undefined);
    return;
  }
  mut.addActivityClose(
    startedAttributes(ai),
    EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED,
    (startedEventId) => ({
      activityTaskFailedEventAttributes: {
        failure: failure ?? null,
        scheduledEventId: ai.scheduledEventId,
        startedEventId,
        identity,
        retryState: decision.state,
      },
    }),
  );
  finish(mut, ai);
}

const TIMEOUT_NAMES: Record<number, string> = {
  [TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE]: 'StartToClose',
  [TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START]: 'ScheduleToStart',
  [TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE]: 'ScheduleToClose',
  [TimeoutType.TIMEOUT_TYPE_HEARTBEAT]: 'Heartbeat',
};

/**
 * An activity timeout fired. Start-to-close and heartbeat timeouts are retried like failures; schedule-to-start and
 * schedule-to-close end the activity. The final event carries a TimeoutFailure (with the last heartbeat details)
 * whose cause is the previous attempt's failure.
 */
export function timeOutActivity(mut: Mutation, ai: ActivityInfo, timeoutType: TimeoutTypeValue): void {
  const failure: Failure = {
    message: `activity ${TIMEOUT_NAMES[timeoutType] ?? ''} timeout`,
    source: 'Server',
    timeoutFailureInfo: { timeoutType, lastHeartbeatDetails: decodePayloads(ai.heartbeatDetails) ?? null },
  };
  const retryable =
    timeoutType === TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE ||
    timeoutType === TimeoutType.TIMEOUT_TYPE_HEARTBEAT;
  let retryState: T.api.enums.v1.RetryState = RetryState.RETRY_STATE_TIMEOUT;
  if (retryable) {
    const decision = decideRetry(ai, mut.now, undefined);
    if (decision.retry) {
      retryActivity(mut, ai, decision.backoffMs, failure);
      return;
    }
    retryState = decision.state;
    // No retry because the schedule-to-close deadline would pass first: that budget is what ran out.
    if (retryState === RetryState.RETRY_STATE_TIMEOUT) {
      failure.message = `activity ${TIMEOUT_NAMES[TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE]} timeout`;
      failure.timeoutFailureInfo = {
        ...failure.timeoutFailureInfo,
        timeoutType: TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
      };
    }
  }
  const lastFailure = decodeFailure(ai.lastFailure);
  if (lastFailure) failure.cause = lastFailure;
  const fields = (startedEventId: number) => ({
    activityTaskTimedOutEventAttributes: {
      failure,
      scheduledEventId: ai.scheduledEventId,
      startedEventId,
      retryState,
    },
  });
  if (ai.phase === 'started') {
    mut.addActivityClose(startedAttributes(ai), EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, fields);
  } else {
    mut.addOrBuffer(EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT, fields(0));
  }
  finish(mut, ai);
}

/** Next attempt after `backoffMs`: state only, the retry timer re-dispatches it. */
export function retryActivity(
  mut: Mutation,
  ai: ActivityInfo,
  backoffMs: number,
  failure: Failure | undefined,
): void {
  ai.attempt++;
  ai.phase = 'backoff';
  ai.startedTime = 0;
  ai.startedRequestId = '';
  ai.currentAttemptScheduledTime = mut.now + backoffMs;
  ai.lastFailure = encodeFailure(failure);
  mut.dirty = true;
  mut.addTimerTask('activity-retry', mut.now + backoffMs, {
    scheduledEventId: ai.scheduledEventId,
    attempt: ai.attempt,
  });
}

/** Hands the current attempt to matching and arms its schedule-to-start timeout. */
/** What a newly scheduled activity's first attempt is made of. */
export interface ActivitySchedule {
  scheduledEventId: number;
  /** Its ActivityTaskScheduled attributes, kept (encoded) for the attempts' task. */
  attributes: Loose<T.api.history.v1.IActivityTaskScheduledEventAttributes>;
  taskQueue: string;
  timeouts: Pick<ActivityInfo, 'scheduleToStartMs' | 'scheduleToCloseMs' | 'startToCloseMs' | 'heartbeatMs'>;
  retry: ActivityInfo['retry'];
}

/**
 * Records an activity's first attempt, scheduled now, in the run's pending activities, hands it to `dispatch` (a
 * completion may start it eagerly instead of sending it to matching), then arms its schedule-to-close timeout, which
 * covers every attempt.
 */
export function addScheduledActivity(
  mut: Mutation,
  schedule: ActivitySchedule,
  dispatch: (ai: ActivityInfo) => void = (ai) => dispatchActivityAttempt(mut, ai),
): ActivityInfo {
  const { scheduledEventId, attributes } = schedule;
  const ai: ActivityInfo = {
    scheduledEventId,
    activityId: attributes.activityId ?? '',
    activityType: attributes.activityType?.name ?? '',
    taskQueue: schedule.taskQueue,
    scheduledAttributes: toBase64(
      temporal.api.history.v1.ActivityTaskScheduledEventAttributes.encode(
        asProto<T.api.history.v1.IActivityTaskScheduledEventAttributes>(attributes),
      ).finish(),
    ),
    scheduledTime: mut.now,
    attempt: 1,
    currentAttemptScheduledTime: mut.now,
    phase: 'scheduled',
    startedTime: 0,
    startedRequestId: '',
    startedIdentity: '',
    ...schedule.timeouts,
    retry: schedule.retry,
    lastHeartbeatTime: 0,
    lastWorkerIdentity: '',
    cancelRequested: false,
    cancelRequestedEventId: 0,
  };
  mut.ms.activities[String(scheduledEventId)] = ai;
  dispatch(ai);
  if (ai.scheduleToCloseMs > 0) {
    mut.addTimerTask('activity-timeout', ai.scheduledTime + ai.scheduleToCloseMs, {
      scheduledEventId,
      timeoutType: temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
      attempt: 0,
    });
  }
  return ai;
}

export function dispatchActivityAttempt(mut: Mutation, ai: ActivityInfo): void {
  mut.addTransferTask('activity-task', { taskQueue: ai.taskQueue, scheduledEventId: ai.scheduledEventId });
  if (
    ai.scheduleToStartMs > 0 &&
    (ai.scheduleToCloseMs === 0 || ai.scheduleToStartMs <= ai.scheduleToCloseMs)
  ) {
    mut.addTimerTask('activity-timeout', mut.now + ai.scheduleToStartMs, {
      scheduledEventId: ai.scheduledEventId,
      timeoutType: TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START,
      attempt: ai.attempt,
    });
  }
}

/**
 * Marks the attempt started by `identity` (a poll, or the worker that completed the workflow task that scheduled it
 * eagerly) and arms its start-to-close and heartbeat timeouts. ActivityTaskStarted is written with the close event.
 */
export function startActivityAttempt(
  mut: Mutation,
  ai: ActivityInfo,
  requestId: string,
  identity: string,
): void {
  ai.phase = 'started';
  ai.startedTime = mut.now;
  ai.startedRequestId = requestId;
  ai.startedIdentity = identity;
  ai.lastWorkerIdentity = identity;
  mut.dirty = true;
  mut.addTimerTask('activity-timeout', mut.now + ai.startToCloseMs, {
    scheduledEventId: ai.scheduledEventId,
    timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
    attempt: ai.attempt,
  });
  if (ai.heartbeatMs > 0 && ai.heartbeatMs < ai.startToCloseMs) {
    mut.addTimerTask('activity-timeout', mut.now + ai.heartbeatMs, {
      scheduledEventId: ai.scheduledEventId,
      timeoutType: TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
      attempt: ai.attempt,
    });
  }
}

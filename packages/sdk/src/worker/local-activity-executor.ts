import { temporal } from '@odin/api/public';
import type { Clock } from '@odin/hugo';
import { ActivityContext, type ActivityInfo, runInActivityContext } from '../activity/context.js';
import { type ActivityInterceptorsFactory, executeWithInterceptors } from '../activity/interceptors.js';
import { optionalDurationMs } from '../common/duration.js';
import { ApplicationFailure, CancelledFailure, errorToFailure, TimeoutFailure } from '../common/failure.js';
import type { LocalActivityOutcome, LocalActivityResolution } from '../common/local-activity-marker.js';
import { fromPayloads, type PayloadConverter } from '../common/payload.js';
import type { IFailure } from '../common/proto-types.js';
import { retryDelayMs } from '../common/retry.js';
import type { LocalActivityRunner } from '../workflow/local-activity-driver.js';
import type { LocalActivityRequest } from '../workflow/local-activities.js';
import type { WorkflowInfo } from '../workflow/workflow-info.js';

// biome-ignore lint/suspicious/noExplicitAny: activity signatures are the author's.
type ActivityFunction = (...args: any[]) => unknown;

export interface LocalActivityExecutorOptions {
  activities: Readonly<Record<string, ActivityFunction>>;
  converter: PayloadConverter;
  clock: Clock;
  interceptors?: readonly ActivityInterceptorsFactory[];
}

type TimeoutKind = 'START_TO_CLOSE' | 'SCHEDULE_TO_CLOSE';

const DEFAULT_LOCAL_RETRY_THRESHOLD_MS = 60_000;

const TimeoutType = temporal.api.enums.v1.TimeoutType;

/** The failure core records for a local activity that timed out (no source, no stack). */
function timeoutFailureOf(kind: TimeoutKind): IFailure {
  return {
    message: 'Activity timed out',
    timeoutFailureInfo: {
      timeoutType:
        kind === 'START_TO_CLOSE'
          ? TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE
          : TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE,
    },
  };
}

/**
 * Runs local activities for the workflow runtime, the way Temporal's core does: each attempt is bounded by the
 * start-to-close timeout (or what is left of schedule-to-close), every attempt together by schedule-to-close
 * counted from the first schedule; a failed attempt (or one that hit start-to-close) is retried by the retry
 * policy — in the worker while the backoff is at most the local-retry threshold, else by handing the backoff back
 * to the workflow, which waits on a timer. Local activities have no heartbeats.
 */
export function localActivityExecutor(options: LocalActivityExecutorOptions): LocalActivityRunner {
  const { clock } = options;
  return async (request, workflow, workflowTime) => {
    const dispatchedAt = clock.now();
    const originalScheduleTime = request.originalScheduleTime ?? dispatchedAt;
    const scheduleToClose = optionalDurationMs(request.options.scheduleToCloseTimeout);
    const deadline = scheduleToClose === undefined ? undefined : originalScheduleTime + scheduleToClose;
    const startToClose = optionalDurationMs(request.options.startToCloseTimeout);
    const threshold =
      optionalDurationMs(request.options.localRetryThreshold) ?? DEFAULT_LOCAL_RETRY_THRESHOLD_MS;
    let attempt = request.attempt;
    const resolution = (outcome: LocalActivityOutcome, backoffMs?: number): LocalActivityResolution => ({
      data: {
        seq: request.seq,
        attempt,
        activityId: request.activityId,
        activityType: request.activityType,
        completeTime: workflowTime + (clock.now() - dispatchedAt),
        backoffMs,
        originalScheduleTime,
      },
      outcome,
    });
    for (;;) {
      if (request.signal.aborted) return resolution(cancelledOutcome(request.signal.reason));
      const left = deadline === undefined ? undefined : deadline - clock.now();
      if (left !== undefined && left <= 0) {
        return resolution({ kind: 'timedOut', failure: timeoutFailureOf('SCHEDULE_TO_CLOSE') });
      }
      const bound: { ms: number; kind: TimeoutKind } | undefined =
        startToClose !== undefined && (left === undefined || startToClose <= left)
          ? { ms: startToClose, kind: 'START_TO_CLOSE' }
          : left !== undefined
            ? { ms: left, kind: 'SCHEDULE_TO_CLOSE' }
            : undefined;
      const outcome = await runAttempt(options, request, workflow, attempt, bound);
      if (outcome.kind === 'completed' || outcome.kind === 'cancelled') return resolution(outcome);
      // Only start-to-close timeouts are retried; schedule-to-close ends the activity.
      if (
        outcome.kind === 'timedOut' &&
        outcome.failure.timeoutFailureInfo?.timeoutType !== TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE
      ) {
        return resolution(outcome);
      }
      const backoff = retryDelayMs(
        request.options.retry,
        attempt,
        outcome.failure.applicationFailureInfo ?? undefined,
      );
      if (backoff === undefined) return resolution(outcome);
      if (backoff > threshold) return resolution(outcome, backoff);
      const wait = deadline === undefined ? backoff : Math.min(backoff, Math.max(0, deadline - clock.now()));
      try {
        await clock.sleep(wait, request.signal);
      } catch {
        // cancelled while backing off: the loop reports it
      }
      if (deadline !== undefined && clock.now() >= deadline && wait < backoff) continue;
      attempt++;
    }
  };
}

function cancelledOutcome(reason: unknown): LocalActivityOutcome {
  const message = reason instanceof Error ? reason.message : 'Activity cancelled';
  return { kind: 'cancelled', failure: { message, canceledFailureInfo: {} } };
}

/** One attempt: the activity function in an ActivityContext, cut off at `bound`. */
async function runAttempt(
  options: LocalActivityExecutorOptions,
  request: LocalActivityRequest,
  workflow: WorkflowInfo,
  attempt: number,
  bound: { ms: number; kind: TimeoutKind } | undefined,
): Promise<LocalActivityOutcome> {
  const { clock, converter } = options;
  const fn = options.activities[request.activityType];
  if (!fn) {
    const registered = Object.keys(options.activities).join(', ') || '(none)';
    return {
      kind: 'failed',
      failure: errorToFailure(
        ApplicationFailure.nonRetryable(
          `Local activity "${request.activityType}" is not registered on this worker; registered: ${registered}`,
          'NotFoundError',
        ),
        converter,
      ),
    };
  }
  const controller = new AbortController();
  const onCancel = () => controller.abort(request.signal.reason);
  request.signal.addEventListener('abort', onCancel, { once: true });
  const timer =
    bound === undefined
      ? undefined
      : clock.setTimer(bound.ms, () =>
          controller.abort(new TimeoutFailure('Activity timed out', bound.kind)),
        );
  const now = clock.now();
  const info: ActivityInfo = {
    activityId: request.activityId,
    activityType: request.activityType,
    taskQueue: workflow.taskQueue,
    attempt,
    workflowNamespace: workflow.namespace,
    workflowId: workflow.workflowId,
    runId: workflow.runId,
    workflowType: workflow.workflowType,
    heartbeatDetails: undefined,
    heartbeatTimeoutMs: undefined,
    startToCloseTimeoutMs: bound?.ms,
    scheduledTime: now,
    startedTime: now,
    taskToken: new Uint8Array(0),
    isLocal: true,
  };
  // Local activities do not heartbeat: there is no activity task to keep alive.
  const context = new ActivityContext(info, controller.signal, () => undefined);
  try {
    const args = fromPayloads(converter, request.args);
    const execution = runInActivityContext(context, () =>
      executeWithInterceptors(options.interceptors ?? [], context, fn, { args, headers: request.headers }),
    );
    const value = await Promise.race([execution, timedOutOn(controller.signal)]);
    return { kind: 'completed', result: converter.toPayload(value) };
  } catch (error) {
    const reason = controller.signal.aborted ? controller.signal.reason : undefined;
    if (reason instanceof TimeoutFailure) {
      return { kind: 'timedOut', failure: timeoutFailureOf(reason.timeoutType as TimeoutKind) };
    }
    if (request.signal.aborted) return cancelledOutcome(request.signal.reason);
    return { kind: 'failed', failure: errorToFailure(error, converter) };
  } finally {
    timer?.cancel();
    request.signal.removeEventListener('abort', onCancel);
  }
}

/** Rejects when the attempt times out (an activity that ignores its signal is abandoned); a cancel waits for it. */
function timedOutOn(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    const onAbort = () => {
      if (!(signal.reason instanceof CancelledFailure)) reject(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

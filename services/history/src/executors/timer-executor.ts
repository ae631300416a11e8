import type { temporal as T } from '@temporalio/proto';
import { ServiceError, temporal } from '@odin/api';
import type { OutboxTask } from '@odin/persistence';
import { WorkflowStatus } from '@odin/persistence';
import type { HistoryEngine } from '../engine.js';
import type { TaskExecutor } from '../shard/shard-controller.js';
import { dispatchActivityAttempt, timeOutActivity } from '../state/activity-transitions.js';
import { closeRun } from '../state/close.js';
import { EventType, readTaskData } from '../state/history-builder.js';
import type { Mutation } from '../state/history-builder.js';
import { isRunning } from '../state/mutable-state.js';
import { timerTaskApplies } from '../state/timer-task-applies.js';
import { decideNextRun, startChainedRun } from '../state/next-run.js';
import type { StartedAttributes } from '../state/next-run.js';
import type { Failure } from '../util/codec.js';
import {
  failInFlightWorkflowTaskForClose,
  failWorkflowTask,
  scheduleWorkflowTask,
  timeOutWorkflowTask,
} from '../state/workflow-task.js';

const TimeoutType = temporal.api.enums.v1.TimeoutType;
const RetryState = temporal.api.enums.v1.RetryState;

/**
 * Runs due timer tasks against the run's current state. Every branch first checks that the task still describes the
 * state (same timer, same attempt, same workflow task) and otherwise does nothing: tasks are delivered at least once
 * and may be stale.
 */
export class TimerTaskExecutor implements TaskExecutor {
  constructor(private readonly engine: HistoryEngine) {}

  execute(task: OutboxTask): Promise<void> {
    return executeTimerTask(this.engine, task);
  }
}

async function executeTimerTask(engine: HistoryEngine, task: OutboxTask): Promise<void> {
  try {
    // DeleteWorkflowExecution of a running run: it was terminated when the task was written; now it goes.
    if (task.taskType === 'delete-execution') {
      await engine.deleteRun(task.namespaceId, task.workflowId, task.runId);
      return;
    }
    // Most timeout tasks are stale by the time they fire (the task or attempt completed long ago): find that out on
    // the committed state, without building a transition.
    const live = await engine.read(task.namespaceId, task.workflowId, task.runId, (run) =>
      timerTaskApplies(run.ms, task),
    );
    if (!live) return;
    await engine.update(task.namespaceId, task.workflowId, task.runId, async (mut, run) => {
      if (!isRunning(mut.ms)) return;
      switch (task.taskType) {
        case 'user-timer':
          return fireUserTimers(mut);
        case 'activity-timeout':
          return activityTimeout(mut, readTaskData(task));
        case 'activity-retry':
          return activityRetry(mut, readTaskData(task));
        case 'workflow-task-timeout':
          return timeOutWorkflowTask(mut, readTaskData(task));
        case 'workflow-task-schedule-to-start':
          return stickyScheduleToStartTimeout(mut, readTaskData(task));
        case 'workflow-run-timeout':
        case 'workflow-execution-timeout': {
          // A run that may retry needs its start attributes for the next attempt.
          const started =
            task.taskType === 'workflow-run-timeout' && (mut.ms.retryPolicy || mut.ms.cronSchedule)
              ? (await engine.readEvents(run, 1, 2))[0]?.workflowExecutionStartedEventAttributes
              : undefined;
          return workflowTimeout(mut, task.taskType, started);
        }
        case 'workflow-backoff':
          return backoffEnded(mut);
        default:
          engine.logger.warn({ taskType: task.taskType }, 'unknown timer task type dropped');
      }
    });
  } catch (error) {
    // The run is gone (deleted by retention): nothing left to time out.
    if (error instanceof ServiceError && error.code === 5) return;
    throw error;
  }
}

/** Fires every expired user timer of the run at once (in expiry order), then schedules a workflow task. */
function fireUserTimers(mut: Mutation): void {
  const ms = mut.ms;
  const expired = Object.values(ms.timers)
    .filter((t) => t.expiryTime <= mut.now)
    .sort((a, b) => a.expiryTime - b.expiryTime || a.startedEventId - b.startedEventId);
  if (expired.length === 0) return;
  for (const timer of expired) {
    delete ms.timers[timer.timerId];
    mut.addOrBuffer(EventType.EVENT_TYPE_TIMER_FIRED, {
      timerFiredEventAttributes: { timerId: timer.timerId, startedEventId: timer.startedEventId },
    });
  }
  scheduleWorkflowTask(mut);
}

function activityTimeout(
  mut: Mutation,
  data: { scheduledEventId: number; timeoutType: T.api.enums.v1.TimeoutType; attempt: number },
): void {
  const ai = mut.ms.activities[String(data.scheduledEventId)];
  if (!ai) return;
  switch (data.timeoutType) {
    case TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE:
      timeOutActivity(mut, ai, data.timeoutType);
      return;
    case TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START:
      if (ai.attempt === data.attempt && ai.phase === 'scheduled') timeOutActivity(mut, ai, data.timeoutType);
      return;
    case TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE:
      if (ai.attempt === data.attempt && ai.phase === 'started') timeOutActivity(mut, ai, data.timeoutType);
      return;
    case TimeoutType.TIMEOUT_TYPE_HEARTBEAT: {
      if (ai.attempt !== data.attempt || ai.phase !== 'started') return;
      const deadline = Math.max(ai.lastHeartbeatTime, ai.startedTime) + ai.heartbeatMs;
      if (deadline > mut.now) {
        // A heartbeat arrived since the timer was armed: wait for the new deadline.
        mut.addTimerTask('activity-timeout', deadline, data);
        return;
      }
      timeOutActivity(mut, ai, data.timeoutType);
      return;
    }
  }
}

function activityRetry(mut: Mutation, data: { scheduledEventId: number; attempt: number }): void {
  const ai = mut.ms.activities[String(data.scheduledEventId)];
  if (!ai || ai.attempt !== data.attempt || ai.phase !== 'backoff') return;
  ai.phase = 'scheduled';
  mut.dirty = true;
  dispatchActivityAttempt(mut, ai);
}

/**
 * Nobody took the sticky task in time (the worker is gone or overloaded): WorkflowTaskTimedOut(SCHEDULE_TO_START),
 * stickiness cleared, the next task on the normal queue with the same attempt.
 */
function stickyScheduleToStartTimeout(
  mut: Mutation,
  data: { scheduledEventId: number; attempt: number; scheduledTime?: number },
): void {
  const wft = mut.ms.workflowTask;
  if (
    !wft?.sticky ||
    wft.startedEventId !== 0 ||
    wft.scheduledEventId !== data.scheduledEventId ||
    wft.attempt !== data.attempt ||
    (data.scheduledTime !== undefined && data.scheduledTime !== wft.scheduledTime)
  ) {
    return;
  }
  failWorkflowTask(
    mut,
    { kind: 'timed-out', timeoutType: TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START },
    { keepAttempt: true },
  );
}

/** The start delay or retry backoff is over: the run's first workflow task may go. */
function backoffEnded(mut: Mutation): void {
  const ms = mut.ms;
  if (!ms.backoffUntil || ms.backoffUntil > mut.now) return;
  ms.backoffUntil = 0;
  mut.dirty = true;
  scheduleWorkflowTask(mut);
}

/**
 * WorkflowExecutionTimedOut. A run timeout continues the chain like a failure does (a retry when the policy allows
 * one, else the next cron run); the execution timeout ends the chain.
 */
function workflowTimeout(
  mut: Mutation,
  kind: 'workflow-run-timeout' | 'workflow-execution-timeout',
  started: StartedAttributes | null | undefined,
): void {
  const ms = mut.ms;
  const due =
    kind === 'workflow-run-timeout'
      ? ms.runTimeoutMs > 0 && ms.executionTime + ms.runTimeoutMs <= mut.now
      : ms.executionExpirationTime > 0 && ms.executionExpirationTime <= mut.now;
  if (!due) return;
  failInFlightWorkflowTaskForClose(mut);
  const failure: Failure = {
    message: 'workflow run timed out',
    source: 'Server',
    timeoutFailureInfo: { timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE },
  };
  const { next, retryState } =
    kind === 'workflow-run-timeout'
      ? decideNextRun(mut, { kind: 'timed-out', failure }, started)
      : { next: undefined, retryState: RetryState.RETRY_STATE_TIMEOUT };
  closeRun(mut, WorkflowStatus.TIMED_OUT, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, {
    workflowExecutionTimedOutEventAttributes: { retryState, newExecutionRunId: next?.runId ?? '' },
  });
  if (next && started) startChainedRun(mut, started, next, failure, null);
}

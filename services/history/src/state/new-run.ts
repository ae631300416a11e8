import { durationToMs, msToDuration, msToTimestamp, ServiceError, temporal } from '@odin/api';
import type { WorkflowServiceRequest as Req } from '@odin/api';
import type { google, temporal as T } from '@temporalio/proto';
import { WorkflowStatus } from '@odin/persistence';
import { encodeMemo, encodeSearchAttributes } from '../util/codec.js';
import { idLengthError } from '@odin/persistence';
import type { Loose } from '../util/proto.js';
import { retrySettings } from './activity.js';
import { parseCron } from './cron.js';
import { EventType, Mutation } from './history-builder.js';
import type { MutableState, ParentInfo } from './mutable-state.js';
import { rememberSignalRequest, signaledEvent } from './signal.js';
import type { WorkflowSignal } from './signal.js';
import { scheduleWorkflowTask, startWorkflowTask } from './workflow-task.js';

const DEFAULT_WFT_TIMEOUT_MS = 10_000;
const MAX_WFT_TIMEOUT_MS = 120_000;

/** What a new run is started with: a client's start, a parent's child start, or the chain's previous run. */
export interface StartParams {
  workflowId: string;
  workflowType: string;
  taskQueue: string;
  input?: T.api.common.v1.IPayloads | null;
  header?: T.api.common.v1.IHeader | null;
  memo?: T.api.common.v1.IMemo | null;
  searchAttributes?: T.api.common.v1.ISearchAttributes | null;
  executionTimeout?: Loose<google.protobuf.IDuration> | null;
  runTimeout?: Loose<google.protobuf.IDuration> | null;
  taskTimeout?: Loose<google.protobuf.IDuration> | null;
  identity: string;
  requestId: string;
  reusePolicy: number;
  conflictPolicy: number;
  retryPolicy?: T.api.common.v1.IRetryPolicy | null;
  cronSchedule?: string | null;
  userMetadata?: T.api.sdk.v1.IUserMetadata | null;
  startDelay?: Loose<google.protobuf.IDuration> | null;
  /** Set when a parent workflow starts this run as its child. */
  parent?: ParentInfo;
  /**
   * A client's `last_completion_result` / `continued_failure` (what a schedule hands its next run, as Temporal's
   * scheduler does); a continuation's own take precedence.
   */
  lastCompletionResult?: T.api.common.v1.IPayloads | null;
  continuedFailure?: T.api.failure.v1.IFailure | null;
  /**
   * Start the first workflow task in the creating transition, for the client's co-located worker
   * (`request_eager_execution`, when the server allows it); honoured when the task can run at once (no start delay,
   * cron wait or signal).
   */
  eager?: boolean;
}

/** How a continued-as-new (or retried, or next cron) run differs from a fresh start. */
export interface Continuation {
  continuedExecutionRunId: string;
  firstExecutionRunId: string;
  executionExpirationTime: number;
  initiator?: number | null;
  lastCompletionResult?: T.api.common.v1.IPayloads | null;
  continuedFailure?: T.api.failure.v1.IFailure | null;
  /** Attempt of the new run (retries count up; continue-as-new starts at 1). */
  attempt?: number;
  /** Delay of the new run's first workflow task. */
  backoffMs?: number;
  /** The chain's parent, if it is a child workflow. */
  parent?: ParentInfo;
}

/** The start parameters of a client's StartWorkflowExecution or SignalWithStartWorkflowExecution. */
export function clientStartParams(
  req: Req<'StartWorkflowExecutionRequest'> | Req<'SignalWithStartWorkflowExecutionRequest'>,
  uuid: () => string,
): StartParams {
  return {
    workflowId: req.workflowId ?? '',
    workflowType: req.workflowType?.name ?? '',
    taskQueue: req.taskQueue?.name ?? '',
    input: req.input,
    header: req.header,
    memo: req.memo,
    searchAttributes: req.searchAttributes,
    executionTimeout: req.workflowExecutionTimeout,
    runTimeout: req.workflowRunTimeout,
    taskTimeout: req.workflowTaskTimeout,
    identity: req.identity ?? '',
    requestId: req.requestId || uuid(),
    reusePolicy: req.workflowIdReusePolicy ?? 0,
    conflictPolicy: 'workflowIdConflictPolicy' in req ? (req.workflowIdConflictPolicy ?? 0) : 0,
    retryPolicy: req.retryPolicy,
    cronSchedule: req.cronSchedule,
    userMetadata: req.userMetadata,
    startDelay: 'workflowStartDelay' in req ? req.workflowStartDelay : null,
    lastCompletionResult: 'lastCompletionResult' in req ? req.lastCompletionResult : null,
    continuedFailure: 'continuedFailure' in req ? req.continuedFailure : null,
  };
}

/** Why a cron schedule is refused (it does not parse, or never fires); undefined when it is fine or absent. */
export function cronScheduleError(cronSchedule: string | null | undefined): string | undefined {
  if (!cronSchedule) return undefined;
  try {
    parseCron(cronSchedule);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Refuses a start whose parameters can never make a run (INVALID_ARGUMENT). */
export function validateStart(p: StartParams): void {
  if (!p.workflowId) throw ServiceError.invalidArgument('WorkflowId is not set on the request.');
  const idProblem = idLengthError(p.workflowId, 'WorkflowId');
  if (idProblem) throw ServiceError.invalidArgument(idProblem);
  if (!p.workflowType) throw ServiceError.invalidArgument('WorkflowType is not set on the request.');
  if (!p.taskQueue) throw ServiceError.invalidArgument('TaskQueue is not set on the request.');
  const cronError = cronScheduleError(p.cronSchedule);
  if (cronError) throw ServiceError.invalidArgument(cronError);
  for (const [name, d] of [
    ['WorkflowExecutionTimeout', p.executionTimeout],
    ['WorkflowRunTimeout', p.runTimeout],
    ['WorkflowTaskTimeout', p.taskTimeout],
  ] as const) {
    if ((durationToMs(d) ?? 0) < 0) throw ServiceError.invalidArgument(`${name} must not be negative.`);
  }
}

/**
 * The first transition of a new run: WorkflowExecutionStarted (then the signal of a signal-with-start), the first
 * workflow task (after the start delay, retry backoff or cron wait, through a backoff timer) and the run and execution
 * timeouts. `origin` is the transition that creates it: the run starts at its clock reading, so a chained run's start
 * time plus its backoff is exactly the cron slot, and takes ids from its source.
 */
export function buildNewRun(
  origin: { readonly now: number; readonly uuid: () => string },
  namespaceId: string,
  p: StartParams,
  runId: string,
  extra: { signal?: WorkflowSignal; continuation?: Continuation } = {},
): Mutation {
  const { signal, continuation } = extra;
  const now = origin.now;
  const executionTimeoutMs = continuation
    ? Math.max(0, continuation.executionExpirationTime - now)
    : (durationToMs(p.executionTimeout) ?? 0);
  let runTimeoutMs = durationToMs(p.runTimeout) ?? 0;
  if (executionTimeoutMs > 0 && (runTimeoutMs === 0 || runTimeoutMs > executionTimeoutMs)) {
    runTimeoutMs = executionTimeoutMs;
  }
  let taskTimeoutMs = durationToMs(p.taskTimeout) || DEFAULT_WFT_TIMEOUT_MS;
  taskTimeoutMs = Math.min(taskTimeoutMs, MAX_WFT_TIMEOUT_MS);
  if (runTimeoutMs > 0) taskTimeoutMs = Math.min(taskTimeoutMs, runTimeoutMs);
  const executionExpirationTime = continuation
    ? continuation.executionExpirationTime
    : executionTimeoutMs > 0
      ? now + executionTimeoutMs
      : 0;
  const attempt = continuation?.attempt ?? 1;
  const parent = continuation ? continuation.parent : p.parent;
  // The first run of a cron chain waits for the schedule's first fire time (validated: it has one).
  const firstBackoff = p.cronSchedule
    ? (parseCron(p.cronSchedule).next(now) ?? now) - now
    : (durationToMs(p.startDelay) ?? 0);
  const backoffMs = Math.max(0, continuation ? (continuation.backoffMs ?? 0) : firstBackoff);
  const ms: MutableState = {
    namespaceId,
    workflowId: p.workflowId,
    runId,
    firstExecutionRunId: continuation?.firstExecutionRunId ?? runId,
    workflowType: p.workflowType,
    taskQueue: p.taskQueue,
    status: WorkflowStatus.RUNNING,
    startTime: now,
    executionTime: now + backoffMs,
    closeTime: 0,
    runTimeoutMs,
    executionTimeoutMs,
    executionExpirationTime,
    workflowTaskTimeoutMs: taskTimeoutMs,
    createRequestId: p.requestId,
    nextEventId: 1,
    lastCompletedStartedEventId: 0,
    workflowTaskAttempt: 1,
    activities: {},
    timers: {},
    bufferedEvents: [],
    signalRequestIds: [],
    cancelRequested: false,
    memo: encodeMemo(p.memo),
    searchAttributes: encodeSearchAttributes(p.searchAttributes),
    completionEventId: 0,
    stateVersion: 0,
    historySizeBytes: 0,
    attempt,
    ...(p.retryPolicy ? { retryPolicy: retrySettings(p.retryPolicy) } : {}),
    ...(backoffMs > 0 ? { backoffUntil: now + backoffMs } : {}),
    ...(parent ? { parent, parentWorkflowId: parent.workflowId, parentRunId: parent.runId } : {}),
    ...(p.cronSchedule ? { cronSchedule: p.cronSchedule } : {}),
  };
  const mut = new Mutation(ms, now, origin.uuid);
  mut.created = true;
  mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, {
    userMetadata: p.userMetadata ?? null,
    workflowExecutionStartedEventAttributes: {
      workflowType: { name: p.workflowType },
      taskQueue: { name: p.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      input: p.input ?? null,
      header: p.header ?? null,
      memo: p.memo ?? null,
      searchAttributes: p.searchAttributes ?? null,
      workflowExecutionTimeout:
        (continuation ? 0 : executionTimeoutMs) > 0 ? msToDuration(executionTimeoutMs) : null,
      workflowRunTimeout: runTimeoutMs > 0 ? msToDuration(runTimeoutMs) : null,
      workflowTaskTimeout: msToDuration(taskTimeoutMs),
      originalExecutionRunId: runId,
      firstExecutionRunId: continuation?.firstExecutionRunId ?? runId,
      continuedExecutionRunId: continuation?.continuedExecutionRunId ?? '',
      initiator: continuation?.initiator ?? 0,
      lastCompletionResult: continuation?.lastCompletionResult ?? p.lastCompletionResult ?? null,
      continuedFailure: continuation?.continuedFailure ?? p.continuedFailure ?? null,
      identity: p.identity,
      attempt,
      retryPolicy: p.retryPolicy ?? null,
      firstWorkflowTaskBackoff: backoffMs > 0 ? msToDuration(backoffMs) : null,
      cronSchedule: p.cronSchedule ?? '',
      workflowExecutionExpirationTime:
        executionExpirationTime > 0 ? msToTimestamp(executionExpirationTime) : null,
      workflowId: p.workflowId,
      ...(parent
        ? {
            parentWorkflowNamespace: parent.namespace,
            parentWorkflowNamespaceId: parent.namespaceId,
            parentWorkflowExecution: { workflowId: parent.workflowId, runId: parent.runId },
            parentInitiatedEventId: parent.initiatedEventId,
          }
        : {}),
    },
  });
  if (signal) {
    mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, signaledEvent(signal));
    rememberSignalRequest(mut, signal.requestId);
  }
  if (backoffMs > 0) mut.addTimerTask('workflow-backoff', now + backoffMs, {});
  else if (p.eager && !signal && !continuation) {
    // The first task starts in this same transition, for the worker sharing the starting client's connection: no
    // hand-off to matching, no separate started transition. Should the response never reach that worker, the task
    // times out and is retried through matching like any lost task.
    scheduleWorkflowTask(mut, { handOff: false });
    startWorkflowTask(mut, mut.uuid(), p.identity);
  } else scheduleWorkflowTask(mut);
  // The run's clock starts when its first workflow task may run.
  if (runTimeoutMs > 0) mut.addTimerTask('workflow-run-timeout', now + backoffMs + runTimeoutMs, {});
  if (executionExpirationTime > 0)
    mut.addTimerTask('workflow-execution-timeout', executionExpirationTime, {});
  return mut;
}

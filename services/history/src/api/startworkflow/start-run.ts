import { durationToMs, msToDuration, msToTimestamp, ServiceError, temporal } from '@odin/api';
import type { NamespaceRef } from '@odin/api';
import type { google, temporal as T } from '@temporalio/proto';
import { WorkflowStatus } from '@odin/persistence';
import type { CurrentExecutionMode } from '@odin/persistence';
import type { HistoryEngine } from '../../engine.js';
import { EventType, Mutation } from '../../state/history-builder.js';
import { parseMutableState } from '../../state/mutable-state.js';
import type { MutableState, ParentInfo } from '../../state/mutable-state.js';
import { scheduleWorkflowTask, startWorkflowTask } from '../../state/workflow-task.js';
import { buildWorkflowTaskResponse } from '../recordworkflowtaskstarted/handler.js';
import type { Res } from '../types.js';
import { encodeMemo, encodeSearchAttributes } from '../../util/codec.js';
import { workflowKey } from '../../workflow-lock.js';
import { retrySettings } from '../../state/activity.js';
import { parseCron } from '../../state/cron.js';
import type { Loose } from '../../util/proto.js';
import { terminateInMutation } from '../terminateworkflow/handler.js';

const ReusePolicy = temporal.api.enums.v1.WorkflowIdReusePolicy;
const ConflictPolicy = temporal.api.enums.v1.WorkflowIdConflictPolicy;
const DEFAULT_WFT_TIMEOUT_MS = 10_000;
const MAX_WFT_TIMEOUT_MS = 120_000;

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
   * The client's co-located worker asked for the first workflow task in the start response
   * (`request_eager_execution`); honoured when the task can run at once (no start delay, cron wait or signal).
   */
  eager?: boolean;
}

export interface StartSignal {
  name: string;
  input?: T.api.common.v1.IPayloads | null;
  header?: T.api.common.v1.IHeader | null;
  identity: string;
  requestId: string;
}

export type StartOutcome =
  | { kind: 'started'; runId: string; eagerWorkflowTask?: Res<'PollWorkflowTaskQueueResponse'> }
  | { kind: 'existing'; runId: string; running: boolean };

export function validateStart(p: StartParams): void {
  if (!p.workflowId) throw ServiceError.invalidArgument('WorkflowId is not set on the request.');
  if (p.workflowId.length > 255)
    throw ServiceError.invalidArgument('WorkflowId is longer than 255 characters.');
  if (!p.workflowType) throw ServiceError.invalidArgument('WorkflowType is not set on the request.');
  if (!p.taskQueue) throw ServiceError.invalidArgument('TaskQueue is not set on the request.');
  if (p.cronSchedule) {
    try {
      parseCron(p.cronSchedule);
    } catch (error) {
      throw ServiceError.invalidArgument((error as Error).message);
    }
  }
  for (const [name, d] of [
    ['WorkflowExecutionTimeout', p.executionTimeout],
    ['WorkflowRunTimeout', p.runTimeout],
    ['WorkflowTaskTimeout', p.taskTimeout],
  ] as const) {
    if ((durationToMs(d) ?? 0) < 0) throw ServiceError.invalidArgument(`${name} must not be negative.`);
  }
}

/**
 * Starts a run (or finds the one a retried request already started), applying the id-reuse and id-conflict
 * policies. With `signal`, the signal event goes right after WorkflowExecutionStarted. Returns 'existing' with
 * running=true when the caller must act on the running run instead (signal-with-start, USE_EXISTING).
 */
export async function startRun(
  engine: HistoryEngine,
  ns: NamespaceRef,
  p: StartParams,
  signal?: StartSignal,
): Promise<StartOutcome> {
  const shard = engine.shardFor(ns.id, p.workflowId);
  const release = await engine.lock.acquire(workflowKey(ns.id, p.workflowId));
  let after: (() => void) | undefined;
  try {
    shard.ctx.assertOwned();
    const current = await engine.store.executions.getCurrentExecution(ns.id, p.workflowId);
    let mode: CurrentExecutionMode = { mode: 'brand-new' };
    let terminate: { run: Awaited<ReturnType<HistoryEngine['loadRun']>>; mut: Mutation } | undefined;
    if (current) {
      if (current.createRequestId === p.requestId) {
        return { kind: 'existing', runId: current.runId, running: false };
      }
      const running = current.status === WorkflowStatus.RUNNING;
      if (running) {
        if (signal) return { kind: 'existing', runId: current.runId, running: true };
        const terminateExisting =
          p.reusePolicy === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING ||
          p.conflictPolicy === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING;
        if (p.conflictPolicy === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING) {
          return { kind: 'existing', runId: current.runId, running: true };
        }
        if (!terminateExisting) {
          throw ServiceError.workflowAlreadyStarted(
            `Workflow execution is already running. WorkflowId: ${p.workflowId}, RunId: ${current.runId}.`,
            current.createRequestId,
            current.runId,
          );
        }
        const run = await engine.loadRun(shard, ns.id, p.workflowId, current.runId);
        const mut = new Mutation(parseMutableState(run.json), engine.now());
        terminateInMutation(mut, 'TerminateIfRunning WorkflowIdReusePolicy', p.identity, null);
        terminate = { run, mut };
      } else {
        const failedOnly = p.reusePolicy === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY;
        if (
          p.reusePolicy === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE ||
          (failedOnly && current.status === WorkflowStatus.COMPLETED)
        ) {
          throw ServiceError.workflowAlreadyStarted(
            `Workflow execution already finished and the WorkflowIdReusePolicy forbids starting it again. WorkflowId: ${p.workflowId}, RunId: ${current.runId}.`,
            current.createRequestId,
            current.runId,
          );
        }
      }
      mode = { mode: 'replace', expectedCurrentRunId: current.runId };
    }
    const runId = engine.uuid();
    const mut = buildNewRun(engine, ns, p, runId, signal);
    const eager = (mut.ms.workflowTask?.startedEventId ?? 0) > 0;
    await engine.commitUpdates(shard, terminate ? [terminate] : [], {
      mut,
      current: mode,
      requestId: p.requestId,
    });
    after = () => engine.afterCommit(shard, terminate ? [terminate.mut, mut] : [mut]);
    if (!eager) return { kind: 'started', runId };
    const run = await engine.loadRun(shard, ns.id, p.workflowId, runId);
    const wft = run.ms.workflowTask!;
    engine.metrics.replayed(ns.id, p.workflowType);
    return {
      kind: 'started',
      runId,
      eagerWorkflowTask: await buildWorkflowTaskResponse(engine, run, run.ms, wft, {}),
    };
  } catch (error) {
    shard.cache.forgetCurrent(ns.id, p.workflowId);
    throw error;
  } finally {
    release();
    after?.();
  }
}

/** How a continued-as-new run differs from a fresh start. */
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
  /**
   * The clock reading `backoffMs` was computed from (the closing run's transition). The new run starts at it, so its
   * start time plus the backoff is exactly the cron slot, not a millisecond or three past it.
   */
  now?: number;
  /** The chain's parent, if it is a child workflow. */
  parent?: ParentInfo;
}

export function buildNewRun(
  engine: HistoryEngine,
  ns: NamespaceRef,
  p: StartParams,
  runId: string,
  signal: StartSignal | undefined,
  continuation?: Continuation,
): Mutation {
  const now = continuation?.now ?? engine.now();
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
  // The first run of a cron chain waits for the schedule's first fire time.
  const firstBackoff = p.cronSchedule
    ? parseCron(p.cronSchedule).next(now) - now
    : (durationToMs(p.startDelay) ?? 0);
  const backoffMs = Math.max(0, continuation ? (continuation.backoffMs ?? 0) : firstBackoff);
  const ms: MutableState = {
    namespaceId: ns.id,
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
  const mut = new Mutation(ms, now);
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
      lastCompletionResult: continuation?.lastCompletionResult ?? null,
      continuedFailure: continuation?.continuedFailure ?? null,
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
    mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
      workflowExecutionSignaledEventAttributes: {
        signalName: signal.name,
        input: signal.input ?? null,
        identity: signal.identity,
        header: signal.header ?? null,
        requestId: signal.requestId,
      },
    });
    if (signal.requestId) ms.signalRequestIds.push(signal.requestId);
  }
  if (backoffMs > 0) mut.addTimerTask('workflow-backoff', now + backoffMs, {});
  else if (p.eager && engine.options.eagerWorkflowStart && !signal && !continuation) {
    // The first task starts in this same transition, for the worker sharing the starting client's connection: no
    // hand-off to matching, no separate started transition. Should the response never reach that worker, the task
    // times out and is retried through matching like any lost task.
    scheduleWorkflowTask(mut, { handOff: false });
    startWorkflowTask(mut, engine.uuid(), p.identity);
  } else scheduleWorkflowTask(mut);
  // The run's clock starts when its first workflow task may run.
  if (runTimeoutMs > 0) mut.addTimerTask('workflow-run-timeout', now + backoffMs + runTimeoutMs, {});
  if (executionExpirationTime > 0)
    mut.addTimerTask('workflow-execution-timeout', executionExpirationTime, {});
  return mut;
}

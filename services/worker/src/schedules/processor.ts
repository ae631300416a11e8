import { createHash } from 'node:crypto';
import { durationToMs, msToTimestamp, ServiceError, temporal } from '@odin/api';
import type { CompiledScheduleSpec } from '@odin/hugo';
import type { Logger } from '@odin/runtime';
import type { temporal as T } from '@temporalio/proto';
import {
  type BufferedStart,
  RECENT_ACTIONS_KEPT,
  type RunningAction,
  type ScheduleRunState,
} from './state.js';

const Overlap = temporal.api.enums.v1.ScheduleOverlapPolicy;
const Status = temporal.api.enums.v1.WorkflowExecutionStatus;

type StartRequest = T.api.workflowservice.v1.IStartWorkflowExecutionRequest;
export type WorkflowRef = { workflowId: string; runId: string };
/** A started run as the runner sees it: its status and, once it closed, what it ended with. */
export interface RunStatus {
  status: number;
  result?: T.api.common.v1.IPayloads | null;
  failure?: T.api.failure.v1.IFailure | null;
}
/** protobufjs's int64 type as the generated typings name it; protobufjs encodes plain numbers for it. */
export type Long = T.api.schedule.v1.IScheduleState['remainingActions'];
export const asLong = (n: number): Long => n as unknown as Long;

/**
 * What the runner needs of the workflow service, in the schedule's namespace. The server wires it to the
 * frontend in process, as the system's own caller, so starts get the frontend's validation and routing.
 */
export interface ScheduleWorkflows {
  /** Starts a run; resolves with its run id. Throws the frontend's ServiceError. */
  start(namespace: string, request: StartRequest, signal: AbortSignal): Promise<string>;
  /**
   * The run's WorkflowExecutionStatus and, when `withOutcome` and it closed COMPLETED or FAILED, its result or
   * failure; undefined when it no longer exists.
   */
  status(
    namespace: string,
    execution: WorkflowRef,
    signal: AbortSignal,
    withOutcome?: boolean,
  ): Promise<RunStatus | undefined>;
  requestCancel(
    namespace: string,
    execution: WorkflowRef,
    reason: string,
    signal: AbortSignal,
  ): Promise<void>;
  terminate(namespace: string, execution: WorkflowRef, reason: string, signal: AbortSignal): Promise<void>;
}

/** Temporal's default catch-up window (one year) and its floor (ten seconds). */
export const DEFAULT_CATCHUP_WINDOW_MS = 365 * 24 * 60 * 60 * 1000;
const MIN_CATCHUP_WINDOW_MS = 10_000;
/** How often the runner looks at the workflows it started while a start waits for them to close. */
export const BUFFERED_RECHECK_MS = 1_000;
/**
 * How often it looks at them otherwise (describe's running workflows and recent actions' statuses): soon after a
 * start, then less often as the run gets older (a quarter of its age), never less often than this.
 */
export const RUNNING_RECHECK_MAX_MS = 30_000;
/** Spec times handled per pass at most (a schedule paused for long on a fast spec). */
const MAX_TIMES_PER_PASS = 10_000;
/** Backfilled times taken per request at most. */
export const MAX_BACKFILL_TIMES = 1_000;
const SCHEDULER_IDENTITY = 'temporal-scheduler';
/**
 * A result or failure larger than this is not kept for the next run (Temporal drops one above its blob size
 * limit, 2 MiB by default, and logs it).
 */
export const MAX_CARRIED_BYTES = 2 * 1024 * 1024;
const Payloads = temporal.api.common.v1.Payloads;
const Failure = temporal.api.failure.v1.Failure;

export interface ProcessInput {
  readonly namespace: string;
  readonly scheduleId: string;
  /** The definition; `state` (paused, notes, remaining actions) is updated in place. */
  readonly schedule: T.api.schedule.v1.ISchedule;
  readonly state: ScheduleRunState;
  readonly spec: CompiledScheduleSpec;
  readonly now: number;
  readonly workflows: ScheduleWorkflows;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

function isClosed(status: number | undefined): boolean {
  return status === undefined || (status !== Status.WORKFLOW_EXECUTION_STATUS_RUNNING && status !== 0);
}

/** The overlap policy a start runs under: its own, else the schedule's, else SKIP (Temporal's default). */
export function effectiveOverlap(start: number, schedule: T.api.schedule.v1.ISchedule): number {
  if (start) return start;
  return schedule.policies?.overlapPolicy || Overlap.SCHEDULE_OVERLAP_POLICY_SKIP;
}

function catchupWindowMs(schedule: T.api.schedule.v1.ISchedule): number {
  const ms = durationToMs(schedule.policies?.catchupWindow);
  return ms === undefined || ms <= 0 ? DEFAULT_CATCHUP_WINDOW_MS : Math.max(MIN_CATCHUP_WINDOW_MS, ms);
}

/** Scheduled (not manual) actions are taken while unpaused and, when actions are limited, while some remain. */
function canTakeScheduled(schedule: T.api.schedule.v1.ISchedule): boolean {
  const state = schedule.state ?? {};
  if (state.paused) return false;
  if (!state.limitedActions) return true;
  return Number(state.remainingActions ?? 0) > 0;
}

/** Temporal's form of a nominal time in the workflow ids it starts: RFC 3339, whole seconds, UTC. */
export function workflowIdSuffix(nominal: number): string {
  return new Date(Math.floor(nominal / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function requestIdOf(namespace: string, scheduleId: string, start: BufferedStart): string {
  const hex = createHash('sha256')
    .update(`${namespace}\u0000${scheduleId}\u0000${start.nominal}\u0000${start.actual}\u0000${start.manual}`)
    .digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const encoder = new TextEncoder();

function searchAttributePayload(type: string, value: unknown): T.api.common.v1.IPayload {
  return {
    metadata: { encoding: encoder.encode('json/plain'), type: encoder.encode(type) },
    data: encoder.encode(JSON.stringify(value)),
  };
}

/** The start request of one action: the schedule's workflow, its id suffixed by the nominal time. */
export function startRequestOf(input: ProcessInput, start: BufferedStart): StartRequest {
  const action = input.schedule.action?.startWorkflow ?? {};
  const keepId = input.schedule.policies?.keepOriginalWorkflowId === true;
  const workflowId = keepId
    ? (action.workflowId ?? '')
    : `${action.workflowId}-${workflowIdSuffix(start.nominal)}`;
  return {
    namespace: input.namespace,
    workflowId,
    workflowType: action.workflowType ?? null,
    taskQueue: action.taskQueue ?? null,
    input: action.input ?? null,
    workflowExecutionTimeout: action.workflowExecutionTimeout ?? null,
    workflowRunTimeout: action.workflowRunTimeout ?? null,
    workflowTaskTimeout: action.workflowTaskTimeout ?? null,
    identity: SCHEDULER_IDENTITY,
    requestId: requestIdOf(input.namespace, input.scheduleId, start),
    workflowIdReusePolicy:
      action.workflowIdReusePolicy ||
      temporal.api.enums.v1.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
    retryPolicy: action.retryPolicy ?? null,
    memo: action.memo ?? null,
    header: action.header ?? null,
    ...(action.userMetadata ? { userMetadata: action.userMetadata } : {}),
    ...carriedOver(input.state, effectiveOverlap(start.overlap, input.schedule)),
    searchAttributes: {
      indexedFields: {
        ...(action.searchAttributes?.indexedFields ?? {}),
        TemporalScheduledStartTime: searchAttributePayload('Datetime', new Date(start.nominal).toISOString()),
        TemporalScheduledById: searchAttributePayload('Keyword', input.scheduleId),
      },
    },
  };
}

/**
 * The last completion result and failure a start passes on, as Temporal's scheduler does: every start but one
 * under ALLOW_ALL gets them (those runs take no part in the chain).
 */
function carriedOver(state: ScheduleRunState, overlap: number): Partial<StartRequest> {
  if (overlap === Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL) return {};
  return {
    ...(state.lastCompletionResult
      ? { lastCompletionResult: Payloads.decode(Buffer.from(state.lastCompletionResult, 'base64')) }
      : {}),
    ...(state.continuedFailure
      ? { continuedFailure: Failure.decode(Buffer.from(state.continuedFailure, 'base64')) }
      : {}),
  };
}

/**
 * What a closed run hands on: a completion replaces the result and clears the failure; a failure replaces the
 * failure and keeps the result; a run that was cancelled, terminated or timed out changes neither. (Only tracked
 * runs close here: one started under ALLOW_ALL is not followed, so its outcome is never handed on.)
 */
function recordOutcome(
  state: ScheduleRunState,
  run: RunningAction,
  outcome: RunStatus,
  logger: Logger,
): void {
  const tooBig = (bytes: Uint8Array, what: string) => {
    if (bytes.length <= MAX_CARRIED_BYTES) return false;
    logger.warn({ workflow_id: run.workflowId, size: bytes.length }, `${what} dropped due to its size`);
    return true;
  };
  if (outcome.status === Status.WORKFLOW_EXECUTION_STATUS_COMPLETED && outcome.result) {
    const bytes = Payloads.encode(outcome.result).finish();
    if (tooBig(bytes, 'result')) return;
    state.lastCompletionResult = Buffer.from(bytes).toString('base64');
    delete state.continuedFailure;
  } else if (outcome.status === Status.WORKFLOW_EXECUTION_STATUS_FAILED && outcome.failure) {
    const bytes = Failure.encode(outcome.failure).finish();
    if (tooBig(bytes, 'failure')) return;
    state.continuedFailure = Buffer.from(bytes).toString('base64');
  }
}

function isTransient(error: unknown): boolean {
  if (!(error instanceof ServiceError)) return true;
  // UNAVAILABLE 14, DEADLINE_EXCEEDED 4, INTERNAL 13, RESOURCE_EXHAUSTED 8, CANCELLED 1, ABORTED 10.
  return [14, 4, 13, 8, 1, 10].includes(error.code);
}

/** Starts after a TriggerImmediately or backfill request, and the spec's times now due, into the buffer. */
function takeDueTimes(input: ProcessInput): void {
  const { state, schedule, spec, now } = input;
  for (const trigger of state.triggers)
    state.buffer.push({ nominal: trigger.at, actual: trigger.at, overlap: trigger.overlap, manual: true });
  state.triggers = [];
  for (const backfill of state.backfills) {
    for (const nominal of spec.nominalTimesBetween(backfill.start, backfill.end, MAX_BACKFILL_TIMES))
      state.buffer.push({ nominal, actual: nominal, overlap: backfill.overlap, manual: true });
  }
  state.backfills = [];
  const window = catchupWindowMs(schedule);
  let cursor = state.lastProcessed;
  for (let n = 0; n < MAX_TIMES_PER_PASS; n++) {
    const next = spec.next(cursor);
    if (next === undefined || next.actual > now) break;
    cursor = next.nominal;
    if (!canTakeScheduled(schedule)) continue;
    if (now - next.actual > window) {
      state.missedCatchupWindow++;
      continue;
    }
    state.buffer.push({ nominal: next.nominal, actual: next.actual, overlap: 0, manual: false });
  }
  state.lastProcessed = Math.max(cursor, state.lastProcessed);
}

/** Looks at the runs it started: closed ones leave `running`, their recent action gets the close status. */
async function refreshRunning(input: ProcessInput): Promise<void> {
  const { state, workflows, namespace, signal, schedule, logger } = input;
  const still: RunningAction[] = [];
  for (const run of state.running) {
    let outcome: RunStatus | undefined;
    try {
      outcome = await workflows.status(
        namespace,
        { workflowId: run.workflowId, runId: run.runId },
        signal,
        true,
      );
    } catch (error) {
      if (!isTransient(error)) outcome = undefined;
      else {
        still.push(run);
        continue;
      }
    }
    const status = outcome?.status;
    if (!isClosed(status)) {
      still.push(run);
      continue;
    }
    if (outcome) recordOutcome(state, run, outcome, logger);
    const recent = state.recent.find((r) => r.runId === run.runId);
    if (recent && status !== undefined) recent.status = status;
    state.cancelRequested = state.cancelRequested.filter((id) => id !== run.runId);
    const failed =
      status === Status.WORKFLOW_EXECUTION_STATUS_FAILED ||
      status === Status.WORKFLOW_EXECUTION_STATUS_TIMED_OUT;
    if (failed && schedule.policies?.pauseOnFailure && !schedule.state?.paused) {
      // Temporal's notes for a pause on failure.
      const notes =
        status === Status.WORKFLOW_EXECUTION_STATUS_FAILED
          ? `paused due to workflow failure: ${run.workflowId}: ${outcome?.failure?.message ?? ''}`
          : `paused due to workflow timeout: ${run.workflowId}`;
      schedule.state = { ...schedule.state, paused: true, notes };
    }
  }
  state.running = still;
}

interface BufferDecision {
  startNow: BufferedStart[];
  keep: BufferedStart[];
  cancel: boolean;
  terminate: boolean;
}

/**
 * Temporal's overlap policies over the buffer, given whether a tracked run is still open. At most one start that
 * is not ALLOW_ALL starts, and only when no tracked run is open; a later CANCEL_OTHER or TERMINATE_OTHER start of
 * the same pass takes its place (it would end it at once otherwise), the replaced one counted nowhere. While a run
 * is open every CANCEL_OTHER / TERMINATE_OTHER start waits in the buffer and the open runs are ended; once they
 * closed, the next pass starts the last of them the same way. A start BUFFER_ONE cannot keep (one already waits)
 * is counted as skipped for overlap, as SKIP is. A start under ALLOW_ALL always starts and makes nothing open (its
 * run is not tracked); when another start ends the open runs, the ALLOW_ALL starts of the same pass are dropped,
 * as Temporal's scheduler drops them (they would be ended too).
 */
export function decideBuffer(
  buffer: readonly BufferedStart[],
  running: boolean,
  schedule: T.api.schedule.v1.ISchedule,
  counters: { overlapSkipped: number },
): BufferDecision {
  const out: BufferDecision = { startNow: [], keep: [], cancel: false, terminate: false };
  let next: BufferedStart | undefined;
  const allowAll: BufferedStart[] = [];
  for (const start of buffer) {
    const policy = effectiveOverlap(start.overlap, schedule);
    if (policy === Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL) {
      allowAll.push(start);
      continue;
    }
    if (!running && next === undefined) {
      next = start;
      continue;
    }
    switch (policy) {
      case Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ONE:
        if (out.keep.length > 0) counters.overlapSkipped++;
        else out.keep.push(start);
        break;
      case Overlap.SCHEDULE_OVERLAP_POLICY_BUFFER_ALL:
        out.keep.push(start);
        break;
      case Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER:
      case Overlap.SCHEDULE_OVERLAP_POLICY_TERMINATE_OTHER:
        if (!running) {
          next = start;
          break;
        }
        out.keep.push(start);
        if (policy === Overlap.SCHEDULE_OVERLAP_POLICY_CANCEL_OTHER) out.cancel = true;
        else out.terminate = true;
        break;
      default:
        counters.overlapSkipped++;
    }
  }
  if (next) out.startNow.push(next);
  if (!out.cancel && !out.terminate) out.startNow.push(...allowAll);
  return out;
}

async function startOne(input: ProcessInput, start: BufferedStart): Promise<'started' | 'retry' | 'dropped'> {
  const { state, schedule, workflows, namespace, signal, logger, now } = input;
  if (!start.manual && !canTakeScheduled(schedule)) return 'dropped';
  const request = startRequestOf(input, start);
  let runId: string;
  try {
    runId = await workflows.start(namespace, request, signal);
  } catch (error) {
    if (isTransient(error)) return 'retry';
    logger.warn(
      { err: error, schedule_id: input.scheduleId, workflow_id: request.workflowId },
      'schedule could not start its workflow',
    );
    return 'dropped';
  }
  const workflowId = request.workflowId ?? '';
  // As Temporal's scheduler: a run started under ALLOW_ALL is not tracked (it blocks no later start, is not among
  // describe's running workflows, is not ended by CANCEL_OTHER / TERMINATE_OTHER, and its close is not watched).
  if (effectiveOverlap(start.overlap, schedule) !== Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL)
    state.running.push({ workflowId, runId });
  state.recent.push({
    scheduleTime: start.nominal,
    actualTime: now,
    workflowId,
    runId,
    status: Status.WORKFLOW_EXECUTION_STATUS_RUNNING,
  });
  if (state.recent.length > RECENT_ACTIONS_KEPT)
    state.recent.splice(0, state.recent.length - RECENT_ACTIONS_KEPT);
  state.actionCount++;
  if (!start.manual && schedule.state?.limitedActions) {
    schedule.state = {
      ...schedule.state,
      remainingActions: asLong(Math.max(0, Number(schedule.state.remainingActions ?? 0) - 1)),
    };
  }
  return 'started';
}

/** Ends the open runs an overlap policy asks to end. */
async function endOthers(input: ProcessInput, decision: BufferDecision): Promise<void> {
  const { state, workflows, namespace, signal } = input;
  const reason = 'overlap policy of the schedule';
  if (decision.terminate) {
    for (const run of state.running) {
      try {
        await workflows.terminate(namespace, run, reason, signal);
      } catch (error) {
        if (isTransient(error)) throw error;
      }
    }
    await refreshRunning(input);
  } else if (decision.cancel) {
    for (const run of state.running) {
      if (state.cancelRequested.includes(run.runId)) continue;
      try {
        await workflows.requestCancel(namespace, run, reason, signal);
      } catch (error) {
        if (isTransient(error)) throw error;
      }
      state.cancelRequested.push(run.runId);
    }
  }
}

/**
 * One pass over a schedule: see which started runs closed, take due times into the buffer, apply the overlap
 * policies, start what may start. Returns when the schedule must be looked at next (undefined: never, until
 * someone changes it). Starts are idempotent (a request id derived from the schedule and the time), so a pass
 * that runs twice (a lost write, two workers) starts nothing twice.
 */
export async function processSchedule(input: ProcessInput): Promise<number | undefined> {
  const { state, schedule, spec, now } = input;
  // Runs an earlier version tracked though they were started under ALLOW_ALL are let go.
  if (state.running.some((run) => run.allowAll)) state.running = state.running.filter((run) => !run.allowAll);
  // The open runs are looked at when their periodic check is due, and whenever a start waits whose overlap policy
  // depends on them (ALLOW_ALL does not), so no decision is made on a stale list.
  const checkDue = state.running.length > 0 && now >= state.nextRunningCheck;
  if (checkDue) await refreshRunning(input);
  takeDueTimes(input);
  const needsRunning = state.buffer.some(
    (start) => effectiveOverlap(start.overlap, schedule) !== Overlap.SCHEDULE_OVERLAP_POLICY_ALLOW_ALL,
  );
  if (!checkDue && needsRunning && state.running.length > 0) await refreshRunning(input);
  let retry = false;
  for (let round = 0; round < 2 && state.buffer.length > 0; round++) {
    const decision = decideBuffer(state.buffer, state.running.length > 0, schedule, state);
    const waiting = [...decision.keep];
    for (const start of decision.startNow) {
      const outcome = await startOne(input, start);
      if (outcome === 'retry') {
        retry = true;
        waiting.unshift(start);
      }
    }
    state.buffer = waiting;
    if (!decision.cancel && !decision.terminate) break;
    await endOthers(input, decision);
    if (state.running.length > 0) break;
  }
  const wakes: number[] = [];
  const next = spec.next(state.lastProcessed);
  if (next !== undefined) wakes.push(next.actual);
  if (retry || state.buffer.length > 0) wakes.push(now + BUFFERED_RECHECK_MS);
  else if (state.running.length > 0) {
    const candidate = now + runningRecheckMs(state, now);
    state.nextRunningCheck =
      state.nextRunningCheck > now ? Math.min(state.nextRunningCheck, candidate) : candidate;
    wakes.push(state.nextRunningCheck);
  }
  if (state.triggers.length > 0 || state.backfills.length > 0) wakes.push(now);
  return wakes.length === 0 ? undefined : Math.min(...wakes);
}

function runningRecheckMs(state: ScheduleRunState, now: number): number {
  const started = state.running.map(
    (run) => state.recent.find((r) => r.runId === run.runId)?.actualTime ?? 0,
  );
  const youngest = Math.max(...started);
  return Math.min(RUNNING_RECHECK_MAX_MS, Math.max(BUFFERED_RECHECK_MS, Math.floor((now - youngest) / 4)));
}

/** Recent actions as Temporal's ScheduleActionResult. */
export function actionResults(state: ScheduleRunState): object[] {
  return state.recent.map((r) => ({
    scheduleTime: msToTimestamp(r.scheduleTime),
    actualTime: msToTimestamp(r.actualTime),
    startWorkflowResult: { workflowId: r.workflowId, runId: r.runId },
    startWorkflowStatus: r.status,
  }));
}

/**
 * The runner's state of one schedule, kept as JSON beside its definition (schedules.state). Everything the
 * describe call reports besides the definition, and everything the runner must remember across restarts: the spec
 * times already handled, the starts waiting for their turn, the workflows it started and has not seen close.
 */

export interface BufferedStart {
  /** The time the spec (or the trigger / backfill) names. */
  readonly nominal: number;
  /** When it became due (nominal plus jitter). */
  readonly actual: number;
  /** The overlap policy for this start (0: the schedule's). */
  readonly overlap: number;
  /** Triggered or backfilled: not counted against remaining actions, run while paused. */
  readonly manual: boolean;
}

export interface StartedAction {
  readonly scheduleTime: number;
  readonly actualTime: number;
  readonly workflowId: string;
  readonly runId: string;
  /** WorkflowExecutionStatus, updated when the runner sees the run close. */
  status: number;
}

export interface RunningAction {
  readonly workflowId: string;
  readonly runId: string;
  /**
   * Started under ALLOW_ALL, in state an earlier version wrote: such runs are no longer tracked (as in Temporal's
   * scheduler), and a pass drops them.
   */
  readonly allowAll?: boolean;
}

export interface ScheduleRunState {
  /** Spec times up to here are handled (started, buffered, skipped or missed). */
  lastProcessed: number;
  actionCount: number;
  missedCatchupWindow: number;
  /** Starts dropped by SKIP, and by BUFFER_ONE when one already waits (Temporal counts both here). */
  overlapSkipped: number;
  /**
   * Temporal counts here the starts it refuses because its buffer is full; Odin's buffer has no such limit, so
   * nothing adds to it (kept for describe and for state an earlier version wrote).
   */
  bufferDropped: number;
  buffer: BufferedStart[];
  /** Started workflows not yet seen closed; not those started under ALLOW_ALL, which are not tracked. */
  running: RunningAction[];
  /** When the runner looks at the open runs again even if no start needs to know (epoch ms). */
  nextRunningCheck: number;
  /** Cancellation already requested for these run ids (CANCEL_OTHER asks once). */
  cancelRequested: string[];
  /** The latest actions, oldest first. */
  recent: StartedAction[];
  /** TriggerImmediately requests not yet taken into the buffer. */
  triggers: { at: number; overlap: number }[];
  /** Backfill requests not yet taken into the buffer. */
  backfills: { start: number; end: number; overlap: number }[];
  /**
   * Temporal's conflict token: changed by every update and patch, not by the runner's own writes (the row's
   * `version` changes with those too), so a client's read-modify-write only fails when a person changed it.
   */
  conflictToken: number;
  /**
   * The result of the last started run that completed (protobuf Payloads, base64), passed to the next start as
   * `last_completion_result`; kept across failures, as in Temporal.
   */
  lastCompletionResult?: string;
  /**
   * The failure of the last started run that failed since the last completion (protobuf Failure, base64), passed
   * to the next start as `continued_failure`; cleared by a completion.
   */
  continuedFailure?: string;
  /** The request id of the CreateSchedule that made it: a retried create succeeds again. */
  createRequestId?: string;
}

export const RECENT_ACTIONS_KEPT = 10;

export function initialRunState(now: number): ScheduleRunState {
  return {
    lastProcessed: now,
    actionCount: 0,
    missedCatchupWindow: 0,
    overlapSkipped: 0,
    bufferDropped: 0,
    buffer: [],
    running: [],
    nextRunningCheck: 0,
    cancelRequested: [],
    recent: [],
    triggers: [],
    backfills: [],
    conflictToken: 1,
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeRunState(state: ScheduleRunState): Uint8Array {
  return encoder.encode(JSON.stringify(state));
}

export function decodeRunState(bytes: Uint8Array, fallbackNow: number): ScheduleRunState {
  try {
    return { ...initialRunState(fallbackNow), ...(JSON.parse(decoder.decode(bytes)) as ScheduleRunState) };
  } catch {
    return initialRunState(fallbackNow);
  }
}

/**
 * The engine-owned mutable state of one workflow run: everything history must know without replaying events.
 * It is plain JSON (bytes as base64 strings) so it serializes to the store's opaque `state` blob and clones cheaply.
 */

export interface RetrySettings {
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
  /** 0 = unlimited. */
  maximumAttempts: number;
  nonRetryableErrorTypes: string[];
}

export interface WorkflowTaskInfo {
  /** Event id of WorkflowTaskScheduled; for a transient task the id its events would take. */
  scheduledEventId: number;
  /** 0 until started. */
  startedEventId: number;
  attempt: number;
  scheduledTime: number;
  startedTime: number;
  requestId: string;
  identity: string;
  taskQueue: string;
  startToCloseMs: number;
  /** Scheduled/Started are not in history (a retry after a failed or timed-out attempt). */
  transient: boolean;
  /** Dispatched to the worker's sticky queue (taskQueue is that queue); absent = the normal queue. */
  sticky?: boolean;
  /**
   * Scheduled only to deliver updates (see state/updates.ts): like a transient task its Scheduled/Started events
   * stay out of history until its completion writes something, and a completion that only rejects updates leaves
   * no trace at all. Absent = a normal (or transient retry) task.
   */
  speculative?: boolean;
}

export type ActivityPhase = 'scheduled' | 'started' | 'backoff';

export interface ActivityInfo {
  scheduledEventId: number;
  activityId: string;
  activityType: string;
  taskQueue: string;
  /** base64 of the ActivityTaskScheduledEventAttributes protobuf (input, header, timeouts, retry policy). */
  scheduledAttributes: string;
  scheduledTime: number;
  attempt: number;
  currentAttemptScheduledTime: number;
  phase: ActivityPhase;
  startedTime: number;
  startedRequestId: string;
  startedIdentity: string;
  scheduleToStartMs: number;
  scheduleToCloseMs: number;
  startToCloseMs: number;
  heartbeatMs: number;
  retry: RetrySettings;
  /** base64 Payloads. */
  heartbeatDetails?: string;
  lastHeartbeatTime: number;
  /** base64 Failure of the previous attempt. */
  lastFailure?: string;
  lastWorkerIdentity: string;
  cancelRequested: boolean;
  cancelRequestedEventId: number;
}

/** A child workflow this run started (StartChildWorkflowExecution) that has not closed yet. */
export interface ChildInfo {
  initiatedEventId: number;
  namespaceId: string;
  namespace: string;
  workflowId: string;
  workflowType: string;
  /** Empty until the child run exists. */
  runId: string;
  /** Id of ChildWorkflowExecutionStarted once written (0 before, or while it is buffered). */
  startedEventId: number;
  parentClosePolicy: number;
  /**
   * Taken over from the run a reset started from: the child still names that run as its parent, so its close arrives
   * forwarded along `resetRunId` (only such a child accepts a forwarded close).
   */
  adoptedByReset?: boolean;
}

/** The parent of a child run (carried along its continue-as-new and retry chain). */
export interface ParentInfo {
  namespaceId: string;
  namespace: string;
  workflowId: string;
  runId: string;
  initiatedEventId: number;
  /** The top of the parent's own chain (absent or empty when the parent predates root tracking). */
  rootWorkflowId?: string;
  rootRunId?: string;
}

export interface TimerInfo {
  timerId: string;
  startedEventId: number;
  expiryTime: number;
}

/**
 * An update this run accepted: the WorkflowExecutionUpdateAccepted event (which holds the request) and, once the
 * workflow answered, the WorkflowExecutionUpdateCompleted event (which holds the outcome). Updates that were only
 * admitted are not here: they live in the host's memory until a worker accepts them (see src/updates.ts), except
 * those admitted by an event (`admittedUpdates`).
 */
export interface UpdateInfo {
  acceptedEventId: number;
  /** 0 until the update completed. */
  completedEventId: number;
}

export interface MutableState {
  namespaceId: string;
  workflowId: string;
  runId: string;
  firstExecutionRunId: string;
  workflowType: string;
  taskQueue: string;
  status: number;
  startTime: number;
  executionTime: number;
  closeTime: number;
  /** 0 = none. */
  runTimeoutMs: number;
  executionTimeoutMs: number;
  /** Epoch ms; 0 = none. */
  executionExpirationTime: number;
  workflowTaskTimeoutMs: number;
  createRequestId: string;
  nextEventId: number;
  /** Started event id of the last completed workflow task (previous_started_event_id of the next poll). */
  lastCompletedStartedEventId: number;
  /** Attempt of the next workflow task: above 1 after failures/timeouts, back to 1 after a completion. */
  workflowTaskAttempt: number;
  /** The sticky queue of the worker that completed the last workflow task (its cache holds the run). */
  stickyTaskQueue?: string;
  /** Schedule-to-start timeout of a sticky workflow task, from the worker's sticky_attributes. */
  stickyScheduleToStartMs?: number;
  workflowTask?: WorkflowTaskInfo;
  activities: Record<string, ActivityInfo>;
  timers: Record<string, TimerInfo>;
  /** base64 HistoryEvent protobufs received while a workflow task was started; ids are given at flush. */
  bufferedEvents: string[];
  signalRequestIds: string[];
  cancelRequested: boolean;
  /** base64 Memo / SearchAttributes protobufs. */
  memo?: string;
  searchAttributes?: string;
  /** Run chain: set on the close event when the run continued as new. */
  newExecutionRunId?: string;
  /** Event id of the close event, once closed. */
  completionEventId: number;
  /** Bumps on every committed change that visibility should see (VisibilityRecord.stateVersion). */
  stateVersion: number;
  historySizeBytes: number;
  parentWorkflowId?: string;
  parentRunId?: string;
  parent?: ParentInfo;
  children?: Record<string, ChildInfo>;
  /** Signals / cancel requests to other workflows not yet delivered, by initiated event id. */
  pendingExternal?: Record<string, 'signal' | 'cancel'>;
  /** Workflow attempt (retries of a failed run); absent = 1. */
  attempt?: number;
  /** The workflow's retry policy, when the start asked for one. */
  retryPolicy?: RetrySettings;
  /** First workflow task held back until then (start delay, retry backoff); absent/0 = none. */
  backoffUntil?: number;
  /** Cron schedule of the chain, when started with one. */
  cronSchedule?: string;
  /**
   * The run a reset started from this one (Temporal's ResetRunId): a child of this run that closes afterwards reports
   * to that run, which took the child over.
   */
  resetRunId?: string;
  /** Accepted and completed updates by update id (deduplication, outcomes after a restart or after the close). */
  updates?: Record<string, UpdateInfo>;
  /**
   * Updates admitted by a WorkflowExecutionUpdateAdmitted event (a reset reapplies them so) and not accepted or
   * rejected yet, by update id: the event id. The update registry knows them from here (deduplication), as
   * Temporal's knows them from its mutable state's update infos.
   */
  admittedUpdates?: Record<string, number>;
}

/** The stored form is UTF-8 JSON; the cache keeps the JSON text so a working copy is one JSON.parse. */
export function mutableStateJson(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

export function parseMutableState(json: string): MutableState {
  return JSON.parse(json) as MutableState;
}

/**
 * The top of the run's parent chain (RootWorkflowId / RootRunId): its parent's root, or the parent itself when that
 * predates root tracking; the run itself when it has no parent.
 */
export function rootOf(ms: MutableState): { workflowId: string; runId: string } {
  const p = ms.parent;
  if (!p) return { workflowId: ms.workflowId, runId: ms.runId };
  return { workflowId: p.rootWorkflowId || p.workflowId, runId: p.rootRunId || p.runId };
}

export function isRunning(ms: MutableState): boolean {
  return ms.status === 1;
}

/** A workflow task has been handed to a worker and not answered yet: new events must be buffered. */
export function workflowTaskInFlight(ms: MutableState): boolean {
  return ms.workflowTask !== undefined && ms.workflowTask.startedEventId > 0;
}

// The option and handle types of the workflow API.
import type { RetryPolicy } from '../common/definitions.js';
import type { Duration } from '../common/duration.js';

/** Workflow functions by type name (a workflow module's exports qualify). */
export type WorkflowRegistry = Readonly<Record<string, unknown>>;

export type ActivityCancellationType = 'TRY_CANCEL' | 'WAIT_CANCELLATION_COMPLETED' | 'ABANDON';

export interface ActivityOptions {
  taskQueue?: string;
  activityId?: string;
  scheduleToCloseTimeout?: Duration;
  scheduleToStartTimeout?: Duration;
  startToCloseTimeout?: Duration;
  heartbeatTimeout?: Duration;
  retry?: RetryPolicy;
  /** TRY_CANCEL (default): reject at once and ask the server to cancel. */
  cancellationType?: ActivityCancellationType;
}

/** Options of a local activity: run by the workflow's own worker, recorded as a `core_local_activity` marker. */
export interface LocalActivityOptions {
  scheduleToCloseTimeout?: Duration;
  /** Bounds one attempt; schedule-to-close bounds all of them, retries and backoff timers included. */
  startToCloseTimeout?: Duration;
  scheduleToStartTimeout?: Duration;
  /** Default: 1 s initial interval, coefficient 2, at most 100 × the initial interval, unlimited attempts. */
  retry?: RetryPolicy;
  /**
   * A retry whose backoff is longer than this (1 minute by default) waits on a durable workflow timer and is
   * scheduled again as a new local activity; shorter backoffs are waited out by the worker.
   */
  localRetryThreshold?: Duration;
  /** TRY_CANCEL (default) and ABANDON reject at once; WAIT_CANCELLATION_COMPLETED waits for the activity. */
  cancellationType?: ActivityCancellationType;
}

export interface ChildWorkflowOptions {
  workflowId?: string;
  taskQueue?: string;
  workflowExecutionTimeout?: Duration;
  workflowRunTimeout?: Duration;
  workflowTaskTimeout?: Duration;
  retry?: RetryPolicy;
  memo?: Record<string, unknown>;
  searchAttributes?: Record<string, unknown>;
  cronSchedule?: string;
  /** TERMINATE (default), ABANDON or REQUEST_CANCEL. */
  parentClosePolicy?: 'TERMINATE' | 'ABANDON' | 'REQUEST_CANCEL';
}

export interface ChildWorkflowHandle<T = unknown> {
  readonly workflowId: string;
  readonly firstExecutionRunId: string;
  result(): Promise<T>;
  signal(name: string, ...args: unknown[]): Promise<void>;
}

export interface ContinueAsNewOptions {
  taskQueue?: string;
  workflowRunTimeout?: Duration;
  workflowTaskTimeout?: Duration;
  memo?: Record<string, unknown>;
}

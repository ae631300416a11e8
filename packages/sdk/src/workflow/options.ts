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

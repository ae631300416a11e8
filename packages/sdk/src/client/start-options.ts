import type { Duration } from '../common/duration.js';
import type { RetryPolicy } from '../common/definitions.js';

// The options of a workflow start, apart from the client so that interceptors can name them without importing it.
export type WorkflowIdReusePolicy =
  | 'ALLOW_DUPLICATE'
  | 'ALLOW_DUPLICATE_FAILED_ONLY'
  | 'REJECT_DUPLICATE'
  | 'TERMINATE_IF_RUNNING';
export type WorkflowIdConflictPolicy = 'FAIL' | 'USE_EXISTING' | 'TERMINATE_EXISTING';

export interface WorkflowStartOptions<Args extends unknown[] = unknown[]> {
  workflowId: string;
  taskQueue: string;
  args?: Args;
  workflowIdReusePolicy?: WorkflowIdReusePolicy;
  workflowIdConflictPolicy?: WorkflowIdConflictPolicy;
  memo?: Record<string, unknown>;
  searchAttributes?: Record<string, unknown>;
  retry?: RetryPolicy;
  workflowExecutionTimeout?: Duration;
  workflowRunTimeout?: Duration;
  workflowTaskTimeout?: Duration;
  cronSchedule?: string;
  startDelay?: Duration;
  /**
   * Asks the server to start the run's first workflow task with the run and return it in the start's answer, for a
   * worker running on this client's connection (same namespace and task queue, registering the workflow type) with
   * a free workflow-task slot (its polls hold some: see its `maxConcurrentWorkflowTasks`), set aside before the
   * call: the worker skips a poll and the server a hand-off through matching. Without such a worker the start is an
   * ordinary one. Default false: should that worker die with the task, the run waits for its workflow-task timeout
   * (10 s by default) instead of going to another worker. Only `start` and `execute` use it (not signal-with-start
   * or update-with-start).
   */
  requestEagerStart?: boolean;
  /** Deduplicates retried starts; a fresh UUID by default. */
  requestId?: string;
  signal?: AbortSignal;
}

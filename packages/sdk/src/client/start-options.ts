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
  /** Deduplicates retried starts; a fresh UUID by default. */
  requestId?: string;
  signal?: AbortSignal;
}

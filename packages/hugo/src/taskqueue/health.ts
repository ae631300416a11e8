/** Counts at or above which a queue reports `degraded` or `unhealthy` (Hugo's `TaskQueueHealthCheckOptions`). */
export interface TaskQueueHealthThresholds {
  readonly pendingDegraded: number;
  readonly pendingUnhealthy: number;
  readonly activeLeaseDegraded: number;
  readonly activeLeaseUnhealthy: number;
}

/** Hugo's defaults. */
export const TaskQueueHealthDefaults: TaskQueueHealthThresholds = Object.freeze({
  pendingDegraded: 1_024,
  pendingUnhealthy: 2_048,
  activeLeaseDegraded: 64,
  activeLeaseUnhealthy: 128,
});

export type TaskQueueHealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface TaskQueueHealthReport {
  readonly status: TaskQueueHealthStatus;
  /** Set when the status is not `healthy`. */
  readonly description: string | undefined;
  /** Hugo's health-check data keys. */
  readonly data: { readonly 'taskqueue.pending': number; readonly 'taskqueue.activeLeases': number };
}

/** What a health check reads from a queue; a `TaskQueue` satisfies it. */
export interface TaskQueueCounts {
  readonly pendingCount: number;
  readonly activeLeaseCount: number;
}

/**
 * Hugo's `TaskQueueHealthCheck<T>.CheckHealthAsync` as a plain function: `unhealthy` when either count reaches its
 * unhealthy threshold, else `degraded` when either reaches its degraded one, else `healthy`. The host's health
 * endpoint (not this package) decides what each status means for readiness.
 */
export function checkTaskQueueHealth(
  queue: TaskQueueCounts,
  thresholds: Partial<TaskQueueHealthThresholds> = {},
): TaskQueueHealthReport {
  const t = { ...TaskQueueHealthDefaults, ...thresholds };
  const pending = queue.pendingCount;
  const active = queue.activeLeaseCount;
  const data = Object.freeze({ 'taskqueue.pending': pending, 'taskqueue.activeLeases': active });
  if (pending >= t.pendingUnhealthy || active >= t.activeLeaseUnhealthy) {
    return report('unhealthy', 'TaskQueue backlog exceeded unhealthy thresholds.', data);
  }
  if (pending >= t.pendingDegraded || active >= t.activeLeaseDegraded) {
    return report('degraded', 'TaskQueue backlog exceeded degraded thresholds.', data);
  }
  return report('healthy', undefined, data);
}

function report(
  status: TaskQueueHealthStatus,
  description: string | undefined,
  data: TaskQueueHealthReport['data'],
): TaskQueueHealthReport {
  return Object.freeze({ status, description, data });
}

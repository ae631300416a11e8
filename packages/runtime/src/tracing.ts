/** Span attribute names every role tags its spans with (listed in docs/architecture.md), so traces join up. */
export const TraceAttributes = {
  namespace: 'workflow.namespace',
  workflowId: 'workflow.id',
  runId: 'workflow.run_id',
  workflowType: 'workflow.type',
  taskQueue: 'workflow.task_queue',
  activityType: 'activity.type',
  activityId: 'activity.id',
} as const;

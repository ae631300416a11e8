/** Span attribute names from the brief, so every role tags spans the same way. */
export const TraceAttributes = {
  namespace: 'workflow.namespace',
  workflowId: 'workflow.id',
  runId: 'workflow.run_id',
  workflowType: 'workflow.type',
  taskQueue: 'workflow.task_queue',
  activityType: 'activity.type',
  activityId: 'activity.id',
} as const;

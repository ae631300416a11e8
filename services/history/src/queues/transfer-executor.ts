import type { OutboxTask } from '@odin/persistence';
import type { HistoryEngine } from '../engine.js';
import { readTaskData } from '../state/history-builder.js';
import { executeCloseExecution, executeParentClose, executeStartChild } from './child-executors.js';
import { executeExternal } from './external-executors.js';

interface DispatchData {
  taskQueue: string;
  scheduledEventId: number;
}

/**
 * Hands a workflow or activity task pointer to matching (resolves once matching holds it durably), or runs the
 * cross-run work of child workflows.
 */
export async function executeTransferTask(
  engine: HistoryEngine,
  task: OutboxTask,
  signal: AbortSignal,
): Promise<void> {
  switch (task.taskType) {
    case 'start-child':
      return executeStartChild(engine, task);
    case 'close-execution':
      return executeCloseExecution(engine, task);
    case 'parent-close':
      return executeParentClose(engine, task);
    case 'signal-external':
    case 'cancel-external':
      return executeExternal(engine, task);
  }
  const data = readTaskData<DispatchData>(task);
  const ns = await engine.namespaceRef(task.namespaceId);
  const request = {
    taskQueue: data.taskQueue,
    workflowId: task.workflowId,
    runId: task.runId,
    scheduledEventId: data.scheduledEventId,
  };
  const ctx = { signal };
  if (task.taskType === 'workflow-task') await engine.matching.addWorkflowTask(ns, request, ctx);
  else if (task.taskType === 'activity-task') await engine.matching.addActivityTask(ns, request, ctx);
  else engine.logger.warn({ taskType: task.taskType }, 'unknown transfer task type dropped');
}

import { ServiceError } from '@odin/api';
import type { OutboxTask } from '@odin/persistence';
import { status } from '@grpc/grpc-js';
import { redirectStickyTaskToNormalQueue } from '../state/workflow-task.js';
import type { HistoryEngine } from '../engine.js';
import { readTaskData } from '../state/history-builder.js';
import { executeCloseExecution, executeParentClose, executeStartChild } from './child-executors.js';
import { executeExternal } from './external-executors.js';

interface DispatchData {
  taskQueue: string;
  scheduledEventId: number;
  /** The task targets a worker's sticky queue; matching may refuse it (no poller lately). */
  sticky?: boolean;
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
      return executeStartChild(engine, task, signal);
    case 'close-execution':
      return executeCloseExecution(engine, task, signal);
    case 'parent-close':
      return executeParentClose(engine, task, signal);
    case 'signal-external':
    case 'cancel-external':
      return executeExternal(engine, task, signal);
  }
  const data = readTaskData<DispatchData>(task);
  const ns = await engine.namespaceRef(task.namespaceId);
  const request = {
    taskQueue: data.taskQueue,
    workflowId: task.workflowId,
    runId: task.runId,
    scheduledEventId: data.scheduledEventId,
    ...(data.sticky ? { sticky: true } : {}),
  };
  const ctx = { signal };
  if (task.taskType === 'workflow-task' && data.sticky) {
    try {
      await engine.matching.addWorkflowTask(ns, request, ctx);
    } catch (error) {
      if (!(error instanceof ServiceError) || error.code !== status.FAILED_PRECONDITION) throw error;
      // Sticky worker unavailable: the same task goes to the normal queue (a new outbox row, committed before this
      // one is deleted).
      await engine.update(task.namespaceId, task.workflowId, task.runId, (mut) => {
        redirectStickyTaskToNormalQueue(mut, data.scheduledEventId);
      });
    }
  } else if (task.taskType === 'workflow-task') await engine.matching.addWorkflowTask(ns, request, ctx);
  else if (task.taskType === 'activity-task') await engine.matching.addActivityTask(ns, request, ctx);
  else engine.logger.warn({ taskType: task.taskType }, 'unknown transfer task type dropped');
}

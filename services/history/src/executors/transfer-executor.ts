import { ServiceError } from '@odin/api';
import type { HistoryPeerApi } from '@odin/api';
import type { OutboxTask } from '@odin/persistence';
import { status } from '@grpc/grpc-js';
import type { HistoryEngine } from '../engine.js';
import type { TaskExecutor } from '../shard/shard-controller.js';
import { readTaskData } from '../state/history-builder.js';
import { redirectStickyTaskToNormalQueue } from '../state/workflow-task.js';
import { executeCloseExecution, executeParentClose, executeStartChild } from './child-executors.js';
import { executeExternal } from './external-executors.js';
import type { PeerTaskContext } from './peer-call.js';

interface DispatchData {
  taskQueue: string;
  scheduledEventId: number;
  /** The task targets a worker's sticky queue; matching may refuse it (no poller lately). */
  sticky?: boolean;
}

/**
 * Runs transfer tasks: hands a workflow or activity task pointer to matching (resolves once matching holds it
 * durably), or does the cross-run work of child workflows and external signals / cancels through `peers`.
 */
export class TransferTaskExecutor implements TaskExecutor {
  readonly #peer: PeerTaskContext;

  constructor(
    private readonly engine: HistoryEngine,
    peers: HistoryPeerApi,
    /** The service's shutdown signal: every hand-off and peer call in flight ends with it. */
    private readonly signal: AbortSignal,
  ) {
    this.#peer = { engine, peers, signal };
  }

  async execute(task: OutboxTask): Promise<void> {
    switch (task.taskType) {
      case 'start-child':
        return executeStartChild(this.#peer, task);
      case 'close-execution':
        return executeCloseExecution(this.#peer, task);
      case 'parent-close':
        return executeParentClose(this.#peer, task);
      case 'signal-external':
      case 'cancel-external':
        return executeExternal(this.#peer, task);
    }
    const engine = this.engine;
    const data = readTaskData<DispatchData>(task);
    const ns = await engine.names.ref(task.namespaceId);
    const request = {
      taskQueue: data.taskQueue,
      workflowId: task.workflowId,
      runId: task.runId,
      scheduledEventId: data.scheduledEventId,
      ...(data.sticky ? { sticky: true } : {}),
    };
    const ctx = { signal: this.signal };
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
}

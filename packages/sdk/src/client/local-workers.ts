// The workers running on one Connection, by namespace and task queue: where an eager workflow start
// (`requestEagerStart`) finds the worker that will take the run's first workflow task from the start's answer.
// Only an interface of the worker is named here, so client-only users never load the worker module.
import type { temporal as proto } from '@temporalio/proto';

/** The run's first workflow task, already started, as a StartWorkflowExecution answer carries it. */
export type EagerWorkflowTask = proto.api.workflowservice.v1.IPollWorkflowTaskQueueResponse;

/** A workflow-task slot a worker set aside for one start's eager task: exactly one of the two is called, once. */
export interface EagerWorkflowTaskSlot {
  /** Hands the task over; the worker processes it in this slot as a polled task, asynchronously. */
  deliver(task: EagerWorkflowTask): void;
  /** Gives the slot back: the answer carried no task, or the start failed. */
  release(): void;
}

/** What a running worker offers eager starts. */
export interface LocalWorkflowWorker {
  readonly namespace: string;
  readonly taskQueue: string;
  /** A free workflow-task slot for a run of `workflowType`, or undefined (not running, type unknown, slots full). */
  reserveEagerWorkflowTask(workflowType: string): EagerWorkflowTaskSlot | undefined;
}

const key = (namespace: string, taskQueue: string) => `${namespace}\u0000${taskQueue}`;

/**
 * The registry: workers register when they start running and unregister when they begin shutting down. Starts
 * look workers up here; a worker is tried in the order of registration until one has a free slot.
 */
export class LocalWorkers {
  private readonly byQueue = new Map<string, Set<LocalWorkflowWorker>>();

  register(worker: LocalWorkflowWorker): void {
    const k = key(worker.namespace, worker.taskQueue);
    let workers = this.byQueue.get(k);
    if (!workers) {
      workers = new Set();
      this.byQueue.set(k, workers);
    }
    workers.add(worker);
  }

  unregister(worker: LocalWorkflowWorker): void {
    const k = key(worker.namespace, worker.taskQueue);
    const workers = this.byQueue.get(k);
    if (!workers?.delete(worker)) return;
    if (workers.size === 0) this.byQueue.delete(k);
  }

  /** A slot of a registered worker of this namespace and task queue that runs `workflowType`, if one is free. */
  reserve(namespace: string, taskQueue: string, workflowType: string): EagerWorkflowTaskSlot | undefined {
    const workers = this.byQueue.get(key(namespace, taskQueue));
    if (!workers) return undefined;
    for (const worker of workers) {
      const slot = worker.reserveEagerWorkflowTask(workflowType);
      if (slot) return slot;
    }
    return undefined;
  }
}

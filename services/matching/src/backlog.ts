import {
  MATCHING_TASK_ID_BLOCK_SIZE,
  type MatchingStore,
  TaskQueueLeaseLostError,
  type TaskQueueLease,
} from '@odin/persistence';
import { TraceAttributes } from '@odin/api';
import type { Logger } from '@odin/runtime';
import { WriteBatcher } from './batcher.js';
import { decodeTask, encodeTask, type PendingTask } from './task.js';

export interface QueueKey {
  readonly namespaceId: string;
  readonly name: string;
  readonly type: number;
}

const LOAD_PAGE = 1000;

/**
 * The persisted half of one task queue: the lease (range_id) that fences its writes, the task ids the lease owns,
 * and the rows themselves. Writes that queue up while one runs go to the database together.
 */
export class PersistedBacklog {
  #lease: TaskQueueLease | undefined;
  #nextTaskId = 0;
  #maxTaskId = 0;
  readonly #appends: WriteBatcher<PendingTask>;
  readonly #completions: WriteBatcher<number>;

  constructor(
    private readonly store: MatchingStore,
    private readonly key: QueueKey,
    private readonly logger: Logger,
  ) {
    const attributes = { [TraceAttributes.taskQueue]: key.name };
    this.#appends = new WriteBatcher(
      (tasks) => this.#writeTasks(tasks),
      'persistence.matching.createTasks',
      attributes,
    );
    this.#completions = new WriteBatcher(
      (ids) => this.#deleteTasks(ids),
      'persistence.matching.completeTasks',
      attributes,
    );
  }

  /** Takes the queue's lease and reads its backlog in task-id order (expired tasks skipped). */
  async load(now: number): Promise<PendingTask[]> {
    await this.#acquire();
    const tasks: PendingTask[] = [];
    let after = 0;
    for (;;) {
      const page = await this.store.readMatchingTasks(this.key.namespaceId, this.key.name, this.key.type, {
        afterTaskId: after,
        limit: LOAD_PAGE,
        now,
      });
      for (const row of page) tasks.push(decodeTask(row.taskId, row.data));
      if (page.length < LOAD_PAGE) break;
      after = page[page.length - 1]!.taskId;
    }
    return tasks;
  }

  /** Persists the task (assigning its task id); resolves once it is durable. */
  append(task: PendingTask): Promise<void> {
    return this.#appends.add(task);
  }

  /** Deletes a dispatched or dropped task; failures are logged (a leftover row is redelivered and refused). */
  complete(taskId: number): Promise<void> {
    return this.#completions.add(taskId).catch((error: unknown) => {
      this.logger.warn({ err: error, task_id: taskId }, 'could not delete a dispatched backlog task');
    });
  }

  async idle(): Promise<void> {
    await Promise.all([this.#appends.idle(), this.#completions.idle()]);
  }

  async #acquire(): Promise<TaskQueueLease> {
    const lease = await this.store.acquireTaskQueueLease(this.key.namespaceId, this.key.name, this.key.type);
    this.#lease = lease;
    this.#nextTaskId = (lease.rangeId - 1) * MATCHING_TASK_ID_BLOCK_SIZE + 1;
    this.#maxTaskId = lease.rangeId * MATCHING_TASK_ID_BLOCK_SIZE;
    return lease;
  }

  async #writeTasks(tasks: PendingTask[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let lease = this.#lease ?? (await this.#acquire());
      if (this.#nextTaskId + tasks.length - 1 > this.#maxTaskId) lease = await this.#acquire();
      const first = this.#nextTaskId;
      const rows = tasks.map((task, i) => ({
        taskId: first + i,
        data: encodeTask(task),
        expiresAt: task.expiresAt ?? null,
        createdAt: task.createdAt,
      }));
      try {
        await this.store.createMatchingTasks(lease, rows);
        this.#nextTaskId = first + tasks.length;
        tasks.forEach((task, i) => {
          task.taskId = first + i;
        });
        return;
      } catch (error) {
        // Another host bumped the range: take the queue back once (one matching host per queue in this build).
        if (error instanceof TaskQueueLeaseLostError && attempt === 0) {
          this.logger.warn({ task_queue: this.key.name }, 'task queue lease lost; re-acquiring');
          this.#lease = undefined;
          continue;
        }
        throw error;
      }
    }
  }

  async #deleteTasks(ids: number[]): Promise<void> {
    const lease = this.#lease;
    if (!lease) return;
    await this.store.completeMatchingTasks(lease, ids);
  }
}

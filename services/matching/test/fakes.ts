import { type HistoryApi, ServiceError } from '@odin/api';
import { VirtualClock } from '@odin/hugo';
import {
  type MatchingStore,
  type MatchingTask,
  type PersistenceStore,
  TaskQueueLeaseLostError,
  type TaskQueueLease,
} from '@odin/persistence';
import {
  createRuntimeContext,
  loadConfig,
  type RuntimeContext,
  SeededRandom,
  silentLogger,
} from '@odin/runtime';

/** The matching part of a store, in memory, with the same lease fencing as the real one. */
export class MemoryMatchingStore implements MatchingStore {
  readonly leases = new Map<string, TaskQueueLease>();
  readonly tasks = new Map<string, MatchingTask[]>();
  writes = 0;

  #key(ns: string, name: string, type: number) {
    return `${ns}/${name}/${type}`;
  }

  #check(lease: TaskQueueLease) {
    const stored = this.leases.get(this.#key(lease.namespaceId, lease.name, lease.type));
    if (stored?.rangeId !== lease.rangeId) {
      throw new TaskQueueLeaseLostError(
        lease.namespaceId,
        lease.name,
        lease.type,
        lease.rangeId,
        stored?.rangeId ?? null,
      );
    }
  }

  async acquireTaskQueueLease(namespaceId: string, name: string, type: number): Promise<TaskQueueLease> {
    const key = this.#key(namespaceId, name, type);
    const current = this.leases.get(key);
    const lease = {
      namespaceId,
      name,
      type,
      rangeId: (current?.rangeId ?? 0) + 1,
      ackLevel: current?.ackLevel ?? 0,
    };
    this.leases.set(key, lease);
    return lease;
  }

  async createMatchingTasks(lease: TaskQueueLease, tasks: MatchingTask[]): Promise<void> {
    this.#check(lease);
    this.writes++;
    const key = this.#key(lease.namespaceId, lease.name, lease.type);
    this.tasks.set(
      key,
      [...(this.tasks.get(key) ?? []), ...tasks].sort((a, b) => a.taskId - b.taskId),
    );
  }

  async readMatchingTasks(
    namespaceId: string,
    name: string,
    type: number,
    options: { afterTaskId: number; limit: number; now?: number },
  ): Promise<MatchingTask[]> {
    return (this.tasks.get(this.#key(namespaceId, name, type)) ?? [])
      .filter((t) => t.taskId > options.afterTaskId)
      .filter((t) => options.now === undefined || !t.expiresAt || t.expiresAt > options.now)
      .slice(0, options.limit);
  }

  async completeMatchingTasks(lease: TaskQueueLease, taskIds: number[]): Promise<number> {
    this.#check(lease);
    const key = this.#key(lease.namespaceId, lease.name, lease.type);
    const before = this.tasks.get(key) ?? [];
    const after = before.filter((t) => !taskIds.includes(t.taskId));
    this.tasks.set(key, after);
    return before.length - after.length;
  }

  async completeMatchingTasksUpTo(lease: TaskQueueLease, ackLevel: number): Promise<number> {
    const ids = (this.tasks.get(this.#key(lease.namespaceId, lease.name, lease.type)) ?? [])
      .filter((t) => t.taskId <= ackLevel)
      .map((t) => t.taskId);
    return this.completeMatchingTasks(lease, ids);
  }

  async getTaskQueue(namespaceId: string, name: string, type: number): Promise<TaskQueueLease | null> {
    return this.leases.get(this.#key(namespaceId, name, type)) ?? null;
  }

  rows(name: string, type: number): MatchingTask[] {
    return this.tasks.get(this.#key('ns-1', name, type)) ?? [];
  }
}

export function context(
  store: MemoryMatchingStore,
  clock = new VirtualClock(),
): RuntimeContext<PersistenceStore> {
  return createRuntimeContext({
    store: { dialect: 'sqlite', matching: store } as unknown as PersistenceStore,
    clock,
    random: new SeededRandom(3),
    config: loadConfig({}),
    logger: silentLogger(),
    hostId: 'h',
  });
}

export const NS = { id: 'ns-1', name: 'default' };

export interface Started {
  kind: 'workflow' | 'activity';
  workflowId: string;
  scheduledEventId: number;
}

/**
 * A history whose record…Started answers a poll response naming the task, or throws what `refuse` returns for it.
 */
export function fakeHistory(
  started: Started[],
  refuse: (s: Started) => ServiceError | undefined = () => undefined,
): HistoryApi {
  const record =
    (kind: 'workflow' | 'activity') =>
    async (_ns: unknown, req: { workflowId: string; scheduledEventId: number }) => {
      const entry = { kind, workflowId: req.workflowId, scheduledEventId: req.scheduledEventId };
      const error = refuse(entry);
      if (error) throw error;
      started.push(entry);
      return { taskToken: Buffer.from(`${req.workflowId}:${req.scheduledEventId}`) };
    };
  return {
    recordWorkflowTaskStarted: record('workflow'),
    recordActivityTaskStarted: record('activity'),
  } as unknown as HistoryApi;
}

export const notFound = () => ServiceError.notFound('stale task');

import type { AddTaskRequest } from '@odin/api';

/** A task waiting for a poller: only a pointer into history, which builds the poll response when it starts. */
export interface PendingTask {
  readonly workflowId: string;
  readonly runId: string;
  readonly scheduledEventId: number;
  readonly expiresAt?: number;
  /** When matching received it (epoch ms), for task_queue_latency_seconds. */
  readonly createdAt: number;
  /** Set once the task is in the persisted backlog. */
  taskId?: number;
}

interface StoredTask {
  w: string;
  r: string;
  s: number;
  e?: number;
  c: number;
}

export function pendingTask(req: AddTaskRequest, now: number): PendingTask {
  return {
    workflowId: req.workflowId,
    runId: req.runId,
    scheduledEventId: req.scheduledEventId,
    ...(req.expiresAt === undefined ? {} : { expiresAt: req.expiresAt }),
    createdAt: now,
  };
}

export function encodeTask(task: PendingTask): Uint8Array {
  const stored: StoredTask = {
    w: task.workflowId,
    r: task.runId,
    s: task.scheduledEventId,
    c: task.createdAt,
    ...(task.expiresAt === undefined ? {} : { e: task.expiresAt }),
  };
  return Buffer.from(JSON.stringify(stored), 'utf8');
}

export function decodeTask(taskId: number, data: Uint8Array): PendingTask {
  const stored = JSON.parse(Buffer.from(data).toString('utf8')) as StoredTask;
  return {
    workflowId: stored.w,
    runId: stored.r,
    scheduledEventId: stored.s,
    createdAt: stored.c,
    ...(stored.e === undefined ? {} : { expiresAt: stored.e }),
    taskId,
  };
}

export function isExpired(task: PendingTask, now: number): boolean {
  return task.expiresAt !== undefined && task.expiresAt <= now;
}

// Builders for transitions and records, so each test states only what it is about.
import {
  type CreateTransition,
  type ExecutionKey,
  type HistoryEventRow,
  type OutboxTask,
  TASK_ID_RANGE_BITS,
  type UpdateTransition,
  type VisibilityRecord,
  WorkflowStatus,
} from '../../src/contract.js';

export const NS = 'ns-0001';
export const T0 = Date.UTC(2026, 0, 1);

let seq = 0;
export function uniqueId(prefix: string): string {
  seq++;
  return `${prefix}-${process.pid}-${seq}`;
}

export function key(workflowId = uniqueId('wf'), runId = uniqueId('run'), namespaceId = NS): ExecutionKey {
  return { namespaceId, workflowId, runId };
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function text(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}

export function events(from: number, count: number, tag = 'e'): HistoryEventRow[] {
  return Array.from({ length: count }, (_, i) => ({ eventId: from + i, data: bytes(`${tag}:${from + i}`) }));
}

export function taskId(rangeId: number, n: number): number {
  return rangeId * 2 ** TASK_ID_RANGE_BITS + n;
}

export function transferTask(k: ExecutionKey, id: number, taskType = 'WorkflowTask'): OutboxTask {
  return {
    category: 'transfer',
    taskId: id,
    fireTime: T0,
    namespaceId: k.namespaceId,
    workflowId: k.workflowId,
    runId: k.runId,
    taskType,
    data: bytes(`task:${id}`),
  };
}

export function visibility(k: ExecutionKey, overrides: Partial<VisibilityRecord> = {}): VisibilityRecord {
  return {
    namespaceId: k.namespaceId,
    runId: k.runId,
    workflowId: k.workflowId,
    workflowType: 'OrderWorkflow',
    status: WorkflowStatus.RUNNING,
    startTime: T0,
    executionTime: T0,
    closeTime: null,
    taskQueue: 'orders',
    historyLength: 2,
    stateVersion: 1,
    ...overrides,
  };
}

export function create(
  k: ExecutionKey,
  shardId: number,
  opts: Partial<CreateTransition> & { eventCount?: number; startTime?: number } = {},
): CreateTransition {
  const eventCount = opts.eventCount ?? 2;
  const { eventCount: _e, startTime, ...rest } = opts;
  return {
    kind: 'create',
    execution: {
      key: k,
      shardId,
      status: WorkflowStatus.RUNNING,
      nextEventId: eventCount + 1,
      dbVersion: 1,
      state: bytes('state:1'),
      startTime: startTime ?? T0,
      closeTime: null,
      updatedAt: startTime ?? T0,
    },
    current: { mode: 'brand-new' },
    createRequestId: uniqueId('req'),
    events: events(1, eventCount),
    tasks: [],
    ...rest,
  };
}

export function update(
  k: ExecutionKey,
  expectedDbVersion: number,
  firstEventId: number,
  eventCount: number,
  opts: Partial<UpdateTransition> = {},
): UpdateTransition {
  return {
    kind: 'update',
    key: k,
    expectedDbVersion,
    status: WorkflowStatus.RUNNING,
    nextEventId: firstEventId + eventCount,
    state: bytes(`state:${expectedDbVersion + 1}`),
    events: events(firstEventId, eventCount),
    tasks: [],
    ...opts,
  };
}

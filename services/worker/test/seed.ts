// Puts runs straight into a store, so the cleanup tests state only the close times they are about.
import {
  type ExecutionKey,
  type PersistenceStore,
  type ShardLease,
  type VisibilityRecord,
  WorkflowStatus,
} from '@odin/persistence';

const bytes = (s: string) => new TextEncoder().encode(s);

export async function createNamespace(
  store: PersistenceStore,
  name: string,
  retentionMs: number,
  now: number,
): Promise<string> {
  const id = `${name}-id`;
  await store.namespaces.createNamespace({
    id,
    name,
    state: 1,
    description: '',
    ownerEmail: '',
    retentionMs,
    createdAt: now,
    updatedAt: now,
  });
  return id;
}

function visibility(k: ExecutionKey, startTime: number, closeTime: number | null): VisibilityRecord {
  return {
    namespaceId: k.namespaceId,
    runId: k.runId,
    workflowId: k.workflowId,
    workflowType: 'Seeded',
    status: closeTime === null ? WorkflowStatus.RUNNING : WorkflowStatus.COMPLETED,
    startTime,
    executionTime: startTime,
    closeTime,
    taskQueue: 'seeded',
    historyLength: 2,
    stateVersion: closeTime === null ? 1 : 2,
  };
}

/** Creates a run with two events, then closes it at `closeTime` (null leaves it running). */
export async function seedRun(
  store: PersistenceStore,
  lease: ShardLease,
  k: ExecutionKey,
  startTime: number,
  closeTime: number | null,
): Promise<void> {
  await store.executions.createWorkflowExecution(lease, {
    kind: 'create',
    execution: {
      key: k,
      shardId: lease.shardId,
      status: WorkflowStatus.RUNNING,
      nextEventId: 3,
      dbVersion: 1,
      state: bytes('state:1'),
      startTime,
      closeTime: null,
      updatedAt: startTime,
    },
    current: { mode: 'brand-new' },
    createRequestId: `req-${k.runId}`,
    events: [
      { eventId: 1, data: bytes('e1') },
      { eventId: 2, data: bytes('e2') },
    ],
    tasks: [],
    visibility: visibility(k, startTime, null),
  });
  if (closeTime === null) return;
  await store.executions.commitShardBatch(lease, [
    {
      kind: 'update',
      key: k,
      expectedDbVersion: 1,
      status: WorkflowStatus.COMPLETED,
      nextEventId: 4,
      state: bytes('state:2'),
      events: [{ eventId: 3, data: bytes('e3') }],
      tasks: [],
      closeTime,
      updateCurrent: { status: WorkflowStatus.COMPLETED, closeTime },
      visibility: visibility(k, startTime, closeTime),
    },
  ]);
}

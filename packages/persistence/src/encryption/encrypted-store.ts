import type {
  ExecutionKey,
  ExecutionRecord,
  ExecutionStore,
  HistoryEventRow,
  HistoryStore,
  MatchingStore,
  MatchingTask,
  OutboxAcks,
  OutboxStore,
  OutboxTask,
  PersistenceStore,
  ReadPage,
  BatchOperationRecord,
  BatchOperationStore,
  ScheduleRecord,
  ScheduleStore,
  ShardBatch,
  ShardFence,
  Transition,
  VisibilityRecord,
  VisibilityStore,
} from '../contract.js';
import type { BlobCodec, Sealer } from './blob-codec.js';

// Encryption at rest as a layer over the SQL store: the engine hands plaintext blobs to the contract and gets them
// back, and every blob that may carry payloads (history events, mutable state, outbox and backlog task data,
// visibility memos, schedule definitions and memos) is sealed in between, under its namespace's data key. Ids, names, times, statuses and search
// attributes are not blobs and stay queryable in plaintext.

function runName(key: ExecutionKey): string {
  return `workflow ${key.workflowId} run ${key.runId}`;
}

/** One sealer per namespace a batch touches, resolved before any row is written. */
class Sealers {
  readonly #byNamespace = new Map<string, Sealer>();

  constructor(private readonly codec: BlobCodec) {}

  async load(namespaceIds: Iterable<string>): Promise<void> {
    for (const id of new Set(namespaceIds)) {
      if (!this.#byNamespace.has(id)) this.#byNamespace.set(id, await this.codec.sealerFor(id));
    }
  }

  of(namespaceId: string): Sealer {
    const sealer = this.#byNamespace.get(namespaceId);
    if (!sealer) throw new Error(`no sealer loaded for namespace ${namespaceId}`);
    return sealer;
  }

  events(namespaceId: string, events: HistoryEventRow[]): HistoryEventRow[] {
    const seal = this.of(namespaceId);
    return events.map((e) => ({ ...e, data: seal(e.data) }));
  }

  tasks(tasks: OutboxTask[]): OutboxTask[] {
    return tasks.map((t) => ({ ...t, data: this.of(t.namespaceId)(t.data) }));
  }

  visibility(record: VisibilityRecord | undefined): VisibilityRecord | undefined {
    if (!record?.memo) return record;
    return { ...record, memo: this.of(record.namespaceId)(record.memo) };
  }
}

function namespacesOf(transitions: readonly Transition[]): string[] {
  const ids: string[] = [];
  for (const t of transitions) {
    ids.push(t.kind === 'create' ? t.execution.key.namespaceId : t.key.namespaceId);
    for (const task of t.tasks) ids.push(task.namespaceId);
    if (t.visibility) ids.push(t.visibility.namespaceId);
  }
  return ids;
}

/** The transition with its blobs sealed; the caller's objects are left untouched (the engine keeps them). */
function sealTransition(t: Transition, sealers: Sealers): Transition {
  const visibility = sealers.visibility(t.visibility);
  if (t.kind === 'create') {
    const ns = t.execution.key.namespaceId;
    return {
      ...t,
      execution: { ...t.execution, state: sealers.of(ns)(t.execution.state) },
      events: sealers.events(ns, t.events),
      tasks: sealers.tasks(t.tasks),
      ...(visibility ? { visibility } : {}),
    };
  }
  const ns = t.key.namespaceId;
  return {
    ...t,
    state: sealers.of(ns)(t.state),
    events: sealers.events(ns, t.events),
    tasks: sealers.tasks(t.tasks),
    ...(visibility ? { visibility } : {}),
  };
}

class EncryptedExecutionStore implements ExecutionStore {
  constructor(
    private readonly inner: ExecutionStore,
    private readonly codec: BlobCodec,
  ) {}

  async #seal(transitions: Transition[]): Promise<Transition[]> {
    if (!this.codec.enabled) return transitions;
    const sealers = new Sealers(this.codec);
    await sealers.load(namespacesOf(transitions));
    return transitions.map((t) => sealTransition(t, sealers));
  }

  async commitShardBatch(fence: ShardFence, transitions: Transition[]) {
    return this.inner.commitShardBatch(fence, await this.#seal(transitions));
  }

  async commitShardBatches(batches: ShardBatch[], acks?: OutboxAcks) {
    const sealed: ShardBatch[] = [];
    for (const batch of batches) sealed.push({ ...batch, transitions: await this.#seal(batch.transitions) });
    return this.inner.commitShardBatches(sealed, acks);
  }

  async createWorkflowExecution(fence: ShardFence, t: Transition & { kind: 'create' }) {
    const [sealed] = await this.#seal([t]);
    return this.inner.createWorkflowExecution(fence, sealed as typeof t);
  }

  async updateWorkflowExecution(fence: ShardFence, t: Transition & { kind: 'update' }) {
    const [sealed] = await this.#seal([t]);
    return this.inner.updateWorkflowExecution(fence, sealed as typeof t);
  }

  deleteWorkflowExecution(fence: ShardFence, key: ExecutionKey) {
    return this.inner.deleteWorkflowExecution(fence, key);
  }

  async getExecution(key: ExecutionKey): Promise<ExecutionRecord | null> {
    const record = await this.inner.getExecution(key);
    if (!record) return record;
    const state = await this.codec.open(key.namespaceId, record.state, `mutable state of ${runName(key)}`);
    return { ...record, state };
  }

  getCurrentExecution(namespaceId: string, workflowId: string) {
    return this.inner.getCurrentExecution(namespaceId, workflowId);
  }
}

class EncryptedHistoryStore implements HistoryStore {
  constructor(
    private readonly inner: HistoryStore,
    private readonly codec: BlobCodec,
  ) {}

  async readHistory(key: ExecutionKey, options: Parameters<HistoryStore['readHistory']>[1]) {
    const page = await this.inner.readHistory(key, options);
    const events: HistoryEventRow[] = [];
    for (const e of page.events) {
      events.push({
        ...e,
        data: await this.codec.open(key.namespaceId, e.data, `history event ${e.eventId} of ${runName(key)}`),
      });
    }
    return { ...page, events };
  }
}

async function openTasks(codec: BlobCodec, tasks: OutboxTask[]): Promise<OutboxTask[]> {
  const out: OutboxTask[] = [];
  for (const t of tasks) {
    const what = `${t.category} task ${t.taskId} of workflow ${t.workflowId}`;
    out.push({ ...t, data: await codec.open(t.namespaceId, t.data, what) });
  }
  return out;
}

class EncryptedOutboxStore implements OutboxStore {
  constructor(
    private readonly inner: OutboxStore,
    private readonly codec: BlobCodec,
  ) {}

  async readImmediateTasks(...args: Parameters<OutboxStore['readImmediateTasks']>) {
    return openTasks(this.codec, await this.inner.readImmediateTasks(...args));
  }

  deleteImmediateTasks(...args: Parameters<OutboxStore['deleteImmediateTasks']>) {
    return this.inner.deleteImmediateTasks(...args);
  }

  deleteImmediateTasksUpTo(...args: Parameters<OutboxStore['deleteImmediateTasksUpTo']>) {
    return this.inner.deleteImmediateTasksUpTo(...args);
  }

  async readTimerTasks(...args: Parameters<OutboxStore['readTimerTasks']>) {
    return openTasks(this.codec, await this.inner.readTimerTasks(...args));
  }

  deleteTimerTasks(...args: Parameters<OutboxStore['deleteTimerTasks']>) {
    return this.inner.deleteTimerTasks(...args);
  }

  deleteAcked(acks: OutboxAcks) {
    return this.inner.deleteAcked(acks);
  }
}

class EncryptedMatchingStore implements MatchingStore {
  constructor(
    private readonly inner: MatchingStore,
    private readonly codec: BlobCodec,
  ) {}

  acquireTaskQueueLease(...args: Parameters<MatchingStore['acquireTaskQueueLease']>) {
    return this.inner.acquireTaskQueueLease(...args);
  }

  async createMatchingTasks(...[lease, tasks]: Parameters<MatchingStore['createMatchingTasks']>) {
    if (!this.codec.enabled) return this.inner.createMatchingTasks(lease, tasks);
    const seal = await this.codec.sealerFor(lease.namespaceId);
    return this.inner.createMatchingTasks(
      lease,
      tasks.map((t) => ({ ...t, data: seal(t.data) })),
    );
  }

  async readMatchingTasks(...args: Parameters<MatchingStore['readMatchingTasks']>) {
    const [namespaceId, name] = args;
    const tasks = await this.inner.readMatchingTasks(...args);
    const out: MatchingTask[] = [];
    for (const t of tasks) {
      const what = `backlog task ${t.taskId} of task queue ${name}`;
      out.push({ ...t, data: await this.codec.open(namespaceId, t.data, what) });
    }
    return out;
  }

  completeMatchingTasks(...args: Parameters<MatchingStore['completeMatchingTasks']>) {
    return this.inner.completeMatchingTasks(...args);
  }

  completeMatchingTasksUpTo(...args: Parameters<MatchingStore['completeMatchingTasksUpTo']>) {
    return this.inner.completeMatchingTasksUpTo(...args);
  }

  getTaskQueue(...args: Parameters<MatchingStore['getTaskQueue']>) {
    return this.inner.getTaskQueue(...args);
  }
}

async function openRecord(codec: BlobCodec, record: VisibilityRecord): Promise<VisibilityRecord> {
  if (!record.memo) return record;
  const what = `memo of workflow ${record.workflowId} run ${record.runId}`;
  return { ...record, memo: await codec.open(record.namespaceId, record.memo, what) };
}

class EncryptedVisibilityStore implements VisibilityStore {
  constructor(
    private readonly inner: VisibilityStore,
    private readonly codec: BlobCodec,
  ) {}

  async upsertVisibility(records: VisibilityRecord[]): Promise<void> {
    if (!this.codec.enabled) return this.inner.upsertVisibility(records);
    const sealers = new Sealers(this.codec);
    await sealers.load(records.map((r) => r.namespaceId));
    return this.inner.upsertVisibility(records.map((r) => sealers.visibility(r)!));
  }

  async listVisibility(...args: Parameters<VisibilityStore['listVisibility']>) {
    const page = await this.inner.listVisibility(...args);
    const items: VisibilityRecord[] = [];
    for (const r of page.items) items.push(await openRecord(this.codec, r));
    return { ...page, items };
  }

  countVisibility(...args: Parameters<VisibilityStore['countVisibility']>) {
    return this.inner.countVisibility(...args);
  }

  countVisibilityByStatus(...args: Parameters<VisibilityStore['countVisibilityByStatus']>) {
    return this.inner.countVisibilityByStatus(...args);
  }

  async getVisibility(namespaceId: string, runId: string): Promise<VisibilityRecord | null> {
    const record = await this.inner.getVisibility(namespaceId, runId);
    return record && openRecord(this.codec, record);
  }

  deleteVisibility(namespaceId: string, runId: string) {
    return this.inner.deleteVisibility(namespaceId, runId);
  }
}

/**
 * Batch operations: the start request is sealed (a signal operation carries the signal's input); the state,
 * counters, identity, reason and the runner's progress (ids and an index) stay plaintext.
 */
class EncryptedBatchOperationStore implements BatchOperationStore {
  constructor(
    private readonly inner: BatchOperationStore,
    private readonly codec: BlobCodec,
  ) {}

  async #open(record: BatchOperationRecord): Promise<BatchOperationRecord> {
    const what = `batch operation ${record.jobId}`;
    return { ...record, request: await this.codec.open(record.namespaceId, record.request, what) };
  }

  async createBatchOperation(record: Omit<BatchOperationRecord, 'version'>): Promise<BatchOperationRecord> {
    const seal = await this.codec.sealerFor(record.namespaceId);
    const created = await this.inner.createBatchOperation({ ...record, request: seal(record.request) });
    return { ...record, version: created.version };
  }

  async getBatchOperation(namespaceId: string, jobId: string): Promise<BatchOperationRecord | null> {
    const record = await this.inner.getBatchOperation(namespaceId, jobId);
    return record ? this.#open(record) : null;
  }

  async updateBatchOperation(
    record: Omit<BatchOperationRecord, 'version' | 'request'>,
    expectedVersion: number,
  ): Promise<BatchOperationRecord> {
    return this.#open(await this.inner.updateBatchOperation(record, expectedVersion));
  }

  async listBatchOperations(
    namespaceId: string,
    page: { pageSize: number; pageToken?: string },
  ): Promise<ReadPage<BatchOperationRecord>> {
    const read = await this.inner.listBatchOperations(namespaceId, page);
    return { ...read, items: await Promise.all(read.items.map((record) => this.#open(record))) };
  }

  countBatchOperationsInState(namespaceId: string, state: number) {
    return this.inner.countBatchOperationsInState(namespaceId, state);
  }

  listBatchOperationsInState(state: number, limit: number) {
    return this.inner.listBatchOperationsInState(state, limit);
  }
}

/**
 * Schedules: the definition (its action carries the workflow's input, memo and header) and the memo are sealed;
 * the schedule's search attributes and the runner's state (ids, times, counters) stay plaintext.
 */
class EncryptedScheduleStore implements ScheduleStore {
  constructor(
    private readonly inner: ScheduleStore,
    private readonly codec: BlobCodec,
  ) {}

  async #seal<R extends { namespaceId: string; schedule: Uint8Array; memo: Uint8Array | null }>(
    record: R,
  ): Promise<R> {
    const seal = await this.codec.sealerFor(record.namespaceId);
    return { ...record, schedule: seal(record.schedule), memo: record.memo ? seal(record.memo) : null };
  }

  async #open(record: ScheduleRecord): Promise<ScheduleRecord> {
    const what = `schedule ${record.scheduleId}`;
    return {
      ...record,
      schedule: await this.codec.open(record.namespaceId, record.schedule, what),
      memo: record.memo ? await this.codec.open(record.namespaceId, record.memo, `memo of ${what}`) : null,
    };
  }

  async createSchedule(record: Omit<ScheduleRecord, 'version'>): Promise<ScheduleRecord> {
    const created = await this.inner.createSchedule(await this.#seal(record));
    return { ...record, version: created.version };
  }

  async getSchedule(namespaceId: string, scheduleId: string): Promise<ScheduleRecord | null> {
    const record = await this.inner.getSchedule(namespaceId, scheduleId);
    return record ? this.#open(record) : null;
  }

  async updateSchedule(
    record: Omit<ScheduleRecord, 'version' | 'createdAt'>,
    expectedVersion: number,
  ): Promise<ScheduleRecord> {
    return this.#open(await this.inner.updateSchedule(await this.#seal(record), expectedVersion));
  }

  deleteSchedule(namespaceId: string, scheduleId: string) {
    return this.inner.deleteSchedule(namespaceId, scheduleId);
  }

  async listSchedules(
    namespaceId: string,
    page: { pageSize: number; pageToken?: string },
  ): Promise<ReadPage<ScheduleRecord>> {
    const read = await this.inner.listSchedules(namespaceId, page);
    const items: ScheduleRecord[] = [];
    for (const record of read.items) items.push(await this.#open(record));
    return { ...read, items };
  }

  countSchedules(namespaceId: string) {
    return this.inner.countSchedules(namespaceId);
  }

  listDueSchedules(dueBy: number, limit: number) {
    return this.inner.listDueSchedules(dueBy, limit);
  }
}

/** The store with encryption at rest between the engine and `inner`; see the top of this file. */
export class EncryptedStore implements PersistenceStore {
  readonly executions: ExecutionStore;
  readonly history: HistoryStore;
  readonly outbox: OutboxStore;
  readonly matching: MatchingStore;
  readonly visibility: VisibilityStore;
  readonly schedules: ScheduleStore;
  readonly batchOperations: BatchOperationStore;

  constructor(
    private readonly inner: PersistenceStore,
    codec: BlobCodec,
  ) {
    this.schedules = new EncryptedScheduleStore(inner.schedules, codec);
    this.batchOperations = new EncryptedBatchOperationStore(inner.batchOperations, codec);
    this.executions = new EncryptedExecutionStore(inner.executions, codec);
    this.history = new EncryptedHistoryStore(inner.history, codec);
    this.outbox = new EncryptedOutboxStore(inner.outbox, codec);
    this.matching = new EncryptedMatchingStore(inner.matching, codec);
    this.visibility = new EncryptedVisibilityStore(inner.visibility, codec);
  }

  get dialect() {
    return this.inner.dialect;
  }
  get limits() {
    return this.inner.limits;
  }
  get cluster() {
    return this.inner.cluster;
  }
  get shards() {
    return this.inner.shards;
  }
  get searchAttributes() {
    return this.inner.searchAttributes;
  }
  get retention() {
    return this.inner.retention;
  }
  get namespaces() {
    return this.inner.namespaces;
  }
  get membership() {
    return this.inner.membership;
  }
  schemaVersion() {
    return this.inner.schemaVersion();
  }
  close() {
    return this.inner.close();
  }
}

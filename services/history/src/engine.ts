import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { ServiceError, toNumber } from '@odin/api';
import type { HistoryPeerApi, MatchingApi, NamespaceRef } from '@odin/api';
import type { Clock } from '@odin/hugo';
import {
  CurrentExecutionConflictError,
  ExecutionVersionConflictError,
  LimitExceededError,
  PersistenceError,
  ShardOwnershipLostError,
} from '@odin/persistence';
import type {
  CreateTransition,
  CurrentExecutionMode,
  HistoryEventRow,
  PersistenceStore,
  Transition,
  UpdateTransition,
  VisibilityRecord,
} from '@odin/persistence';
import { runKey } from './cache.js';
import type { CachedRun } from './cache.js';
import type { HistoryLogger, HistoryOptions } from './context.js';
import { ChangeWaiters } from './long-poll.js';
import type { HistoryMetricsRecorder } from './metrics.js';
import { shardIdFor } from './shard/shard-id.js';
import type { Shard, ShardController } from './shard/shard-controller.js';
import { addCloseTasks } from './state/close.js';
import { Mutation } from './state/history-builder.js';
import { isRunning, mutableStateJson, parseMutableState } from './state/mutable-state.js';
import type { MutableState } from './state/mutable-state.js';
import { decodeEvent, decodeSearchAttributes, encodeEvent, fromBase64 } from './util/codec.js';
import type { HistoryEvent } from './util/codec.js';
import { KeyedLock, workflowKey } from './workflow-lock.js';

function isNotFound(error: unknown): boolean {
  return error instanceof ServiceError && error.code === status.NOT_FOUND;
}

/** How long a closed run is answered from the cache before it is re-read from the store. */
export const CLOSED_RUN_CACHE_MS = 60_000;

/** A create prepared by a handler: the new run's state and first events, plus any transitions that go with it. */
export interface PreparedCreate {
  mut: Mutation;
  current: CurrentExecutionMode;
  requestId: string;
}

/**
 * The core every handler uses: shard routing, the per-workflow lock, loading and caching mutable state, committing
 * one transition through the shard's batcher, and what happens after a commit (cache, waiters, timer gate, hand-off
 * of transfer tasks to matching).
 */
export class HistoryEngine {
  readonly lock = new KeyedLock();
  readonly waiters: ChangeWaiters;
  readonly #namespaceNames = new Map<string, string>();
  /** Called after every commit of a run (queries use it). */
  readonly commitListeners: ((shard: Shard, ms: MutableState, mut: Mutation) => void)[] = [];

  constructor(
    readonly clock: Clock,
    readonly store: PersistenceStore,
    readonly matching: MatchingApi,
    /** The target side of cross-workflow work, whose run may live in a shard another host owns. */
    readonly peers: HistoryPeerApi,
    readonly shards: ShardController,
    readonly options: HistoryOptions,
    readonly logger: HistoryLogger,
    readonly metrics: HistoryMetricsRecorder,
    private readonly uuidSource: () => string = randomUUID,
  ) {
    this.waiters = new ChangeWaiters(clock);
  }

  uuid(): string {
    return this.uuidSource();
  }

  now(): number {
    return this.clock.now();
  }

  /** The namespace's name if this host has seen it (logs and metric labels), else its id. */
  namespaceName(namespaceId: string): string {
    return this.#namespaceNames.get(namespaceId) ?? namespaceId;
  }

  rememberNamespace(ns: NamespaceRef): void {
    if (!this.#namespaceNames.has(ns.id)) this.#namespaceNames.set(ns.id, ns.name);
  }

  async namespaceRef(namespaceId: string): Promise<NamespaceRef> {
    let name = this.#namespaceNames.get(namespaceId);
    if (!name) {
      const record = await this.store.namespaces.getNamespaceById(namespaceId);
      name = record?.name ?? namespaceId;
      this.#namespaceNames.set(namespaceId, name);
    }
    return { id: namespaceId, name };
  }

  shardFor(namespaceId: string, workflowId: string): Shard {
    return this.shards.get(shardIdFor(namespaceId, workflowId, this.shards.shardCount));
  }

  /** Resolves the run (current run when runId is empty) from cache or store; NOT_FOUND when there is none. */
  async loadRun(
    shard: Shard,
    namespaceId: string,
    workflowId: string,
    runId?: string | null,
  ): Promise<CachedRun> {
    let id = runId || shard.cache.currentRunId(namespaceId, workflowId);
    if (!id) {
      const current = await this.store.executions.getCurrentExecution(namespaceId, workflowId);
      if (!current) throw notFound(workflowId, runId);
      id = current.runId;
      shard.cache.setCurrentRunId(namespaceId, workflowId, id);
    }
    const key = runKey(namespaceId, workflowId, id);
    const cached = shard.cache.get(key);
    // A run closed a while ago may have been deleted since (retention runs in the system worker, possibly another
    // process), so it is re-read from the store instead of answered from memory long after it is gone.
    if (cached && (isRunning(cached.ms) || this.now() - cached.ms.closeTime <= CLOSED_RUN_CACHE_MS))
      return cached;
    const record = await this.store.executions.getExecution({ namespaceId, workflowId, runId: id });
    if (!record) throw notFound(workflowId, runId);
    const json = mutableStateJson(record.state);
    const run: CachedRun = { ms: parseMutableState(json), json, dbVersion: record.dbVersion };
    shard.cache.put(key, run);
    return run;
  }

  /**
   * Read-modify-commit of one run under the workflow lock. `fn` works on a copy of mutable state through a Mutation
   * and may throw a ServiceError (nothing is written). The transition commits before this resolves; work that may
   * call back into history (hand-off to matching) runs after the lock is released.
   */
  async update<R>(
    namespaceId: string,
    workflowId: string,
    runId: string | null | undefined,
    fn: (mut: Mutation, run: CachedRun, shard: Shard) => R | Promise<R>,
  ): Promise<R> {
    const shard = this.shardFor(namespaceId, workflowId);
    for (let attempt = 0; ; attempt++) {
      const release = await this.lock.acquire(workflowKey(namespaceId, workflowId));
      let after: (() => void) | undefined;
      try {
        shard.ctx.assertOwned();
        const run = await this.loadRun(shard, namespaceId, workflowId, runId);
        const mut = new Mutation(parseMutableState(run.json), this.clock.now());
        const result = await fn(mut, run, shard);
        if (mut.changed) {
          await this.commitUpdates(shard, [{ run, mut }], mut.newRun);
          const all = mut.newRun ? [mut, mut.newRun.mut] : [mut];
          after = () => this.afterCommit(shard, all);
        }
        return result;
      } catch (error) {
        if (error instanceof ExecutionVersionConflictError && attempt < 3) {
          shard.cache.evict(runKey(namespaceId, workflowId, error.key.runId));
          continue;
        }
        if (attempt === 0 && isNotFound(error)) {
          this.#forget(shard, namespaceId, workflowId, runId);
          continue;
        }
        throw translateError(error, shard, workflowId);
      } finally {
        release();
        after?.();
      }
    }
  }

  /**
   * Drops what the cache knows of a run before a NOT_FOUND is answered. Callers act on NOT_FOUND (matching drops the
   * task, an outbox task is deleted), so it must come from the store, never from memory that went stale while the
   * shard was held by another host (a paused host, or a ring change not seen here yet).
   */
  #forget(shard: Shard, namespaceId: string, workflowId: string, runId: string | null | undefined): void {
    const id = runId || shard.cache.currentRunId(namespaceId, workflowId);
    if (id) shard.cache.evict(runKey(namespaceId, workflowId, id));
    shard.cache.forgetCurrent(namespaceId, workflowId);
  }

  /** Runs `fn` on the committed state of a run under the workflow lock (no write). */
  async read<R>(
    namespaceId: string,
    workflowId: string,
    runId: string | null | undefined,
    fn: (run: CachedRun, shard: Shard) => R | Promise<R>,
  ): Promise<R> {
    const shard = this.shardFor(namespaceId, workflowId);
    for (let attempt = 0; ; attempt++) {
      const release = await this.lock.acquire(workflowKey(namespaceId, workflowId));
      try {
        const run = await this.loadRun(shard, namespaceId, workflowId, runId);
        return await fn(run, shard);
      } catch (error) {
        if (attempt === 0 && isNotFound(error)) {
          this.#forget(shard, namespaceId, workflowId, runId);
          continue;
        }
        throw translateError(error, shard, workflowId);
      } finally {
        release();
      }
    }
  }

  /** Commits updates of existing runs (and optionally one create) in one transaction; refreshes the cache. */
  async commitUpdates(
    shard: Shard,
    updates: { run: CachedRun; mut: Mutation }[],
    create?: PreparedCreate,
  ): Promise<void> {
    const now = this.clock.now();
    const transitions: Transition[] = [];
    const jsons: string[] = [];
    for (const { run, mut } of updates) {
      const ms = mut.ms;
      if (mut.closed) addCloseTasks(mut);
      const rows = this.#rows(ms, mut.events);
      ms.stateVersion++;
      const json = JSON.stringify(ms);
      jsons.push(json);
      const t: UpdateTransition = {
        kind: 'update',
        key: { namespaceId: ms.namespaceId, workflowId: ms.workflowId, runId: ms.runId },
        expectedDbVersion: run.dbVersion,
        status: ms.status,
        nextEventId: ms.nextEventId,
        state: Buffer.from(json, 'utf8'),
        closeTime: ms.closeTime || null,
        events: rows,
        tasks: mut.tasks,
        updatedAt: now,
      };
      if (mut.closed) t.updateCurrent = { status: ms.status, closeTime: ms.closeTime };
      if (mut.closed || mut.visibilityChanged) t.visibility = visibilityRecord(ms);
      transitions.push(t);
    }
    let createTransition: CreateTransition | undefined;
    let createJson = '';
    if (create) {
      const ms = create.mut.ms;
      const rows = this.#rows(ms, create.mut.events);
      ms.stateVersion++;
      createJson = JSON.stringify(ms);
      createTransition = {
        kind: 'create',
        execution: {
          key: { namespaceId: ms.namespaceId, workflowId: ms.workflowId, runId: ms.runId },
          shardId: shard.ctx.shardId,
          status: ms.status,
          nextEventId: ms.nextEventId,
          dbVersion: 1,
          state: Buffer.from(createJson, 'utf8'),
          startTime: ms.startTime,
          closeTime: ms.closeTime || null,
          updatedAt: now,
        },
        current: create.current,
        createRequestId: create.requestId,
        events: rows,
        tasks: create.mut.tasks,
        visibility: visibilityRecord(ms),
      };
      transitions.push(createTransition);
    }
    const versions = await shard.ctx.commit(transitions);
    updates.forEach(({ run, mut }, i) => {
      run.ms = mut.ms;
      run.json = jsons[i]!;
      run.dbVersion = versions[i]!;
      if (run.events) run.events.push(...mut.events);
    });
    if (create) {
      const ms = create.mut.ms;
      shard.cache.put(runKey(ms.namespaceId, ms.workflowId, ms.runId), {
        ms,
        json: createJson,
        dbVersion: versions[versions.length - 1]!,
        events: [...create.mut.events],
      });
      shard.cache.setCurrentRunId(ms.namespaceId, ms.workflowId, ms.runId);
    }
  }

  #rows(ms: MutableState, events: HistoryEvent[]): HistoryEventRow[] {
    return events.map((event) => {
      const data = encodeEvent(event);
      ms.historySizeBytes += data.length;
      return { eventId: toNumber(event.eventId as number), data };
    });
  }

  /** After a commit: wake waiters, arm timers, hand transfer tasks to matching. */
  afterCommit(shard: Shard, muts: Mutation[]): void {
    for (const mut of muts) {
      const ms = mut.ms;
      if (mut.created) this.metrics.started(ms.namespaceId, ms.workflowType);
      if (mut.closed)
        this.metrics.closed(ms.namespaceId, ms.workflowType, ms.status, ms.closeTime - ms.startTime);
      this.waiters.notify(runKey(ms.namespaceId, ms.workflowId, ms.runId));
      for (const listener of this.commitListeners) listener(shard, ms, mut);
      for (const task of mut.tasks) {
        if (task.category === 'timer') shard.timers.schedule(task);
        else if (task.category === 'transfer') shard.transfer.dispatch(task);
      }
    }
  }

  /** Committed events [from, toExclusive) of a run, from the cache when it holds the whole history. */
  async readEvents(run: CachedRun, from: number, toExclusive: number): Promise<HistoryEvent[]> {
    if (toExclusive <= from) return [];
    if (run.events && run.events.length === run.ms.nextEventId - 1) {
      return run.events.slice(from - 1, toExclusive - 1);
    }
    const ms = run.ms;
    const key = { namespaceId: ms.namespaceId, workflowId: ms.workflowId, runId: ms.runId };
    const out: HistoryEvent[] = [];
    let min = from;
    while (min < toExclusive) {
      const page = await this.store.history.readHistory(key, {
        minEventId: min,
        maxEventId: toExclusive,
        pageSize: 1000,
      });
      if (page.events.length === 0) break;
      for (const row of page.events) out.push(decodeEvent(row.data));
      min = page.events[page.events.length - 1]!.eventId + 1;
    }
    if (from === 1 && toExclusive === ms.nextEventId && out.length === ms.nextEventId - 1)
      run.events = [...out];
    return out;
  }
}

export function notFound(workflowId: string, runId?: string | null): ServiceError {
  return ServiceError.notFound(
    runId
      ? `Workflow execution not found: workflowId=${workflowId}, runId=${runId}.`
      : `Workflow execution not found: workflowId=${workflowId}.`,
  );
}

export function translateError(error: unknown, shard: Shard, workflowId: string): unknown {
  if (error instanceof ServiceError) return error;
  if (error instanceof ShardOwnershipLostError) {
    shard.ctx.markLost();
    return ServiceError.unavailable(`History shard ${shard.ctx.shardId} moved to another host; retry.`);
  }
  if (error instanceof ExecutionVersionConflictError) {
    return ServiceError.unavailable(`Workflow ${workflowId} was changed concurrently; retry.`);
  }
  if (error instanceof CurrentExecutionConflictError) {
    return ServiceError.unavailable(`Workflow ${workflowId} was started concurrently; retry.`);
  }
  if (error instanceof LimitExceededError) {
    return ServiceError.invalidArgument(`The request would exceed a limit of the server: ${error.message}.`);
  }
  if (error instanceof PersistenceError)
    return ServiceError.unavailable(`Persistence error: ${error.message}`);
  return error;
}

export function visibilityRecord(ms: MutableState): VisibilityRecord {
  const sa = decodeSearchAttributes(ms.searchAttributes);
  const searchAttributes: Record<string, unknown> = {};
  for (const [name, payload] of Object.entries(sa?.indexedFields ?? {})) {
    try {
      searchAttributes[name] = JSON.parse(Buffer.from(payload.data ?? new Uint8Array()).toString('utf8'));
    } catch {
      searchAttributes[name] = null;
    }
  }
  return {
    namespaceId: ms.namespaceId,
    runId: ms.runId,
    workflowId: ms.workflowId,
    workflowType: ms.workflowType,
    status: ms.status,
    startTime: ms.startTime,
    executionTime: ms.executionTime,
    closeTime: ms.closeTime || null,
    taskQueue: ms.taskQueue,
    historyLength: ms.nextEventId - 1,
    memo: ms.memo ? fromBase64(ms.memo) : null,
    searchAttributes: Object.keys(searchAttributes).length > 0 ? searchAttributes : null,
    parentWorkflowId: ms.parentWorkflowId ?? null,
    parentRunId: ms.parentRunId ?? null,
    stateVersion: ms.stateVersion,
  };
}

import { status } from '@grpc/grpc-js';
import { annotateActiveSpan, ownedBuffers, ServiceError, TraceAttributes } from '@odin/api';
import type { MatchingApi } from '@odin/api';
import type { Clock } from '@odin/hugo';
import {
  CurrentExecutionConflictError,
  ExecutionVersionConflictError,
  LimitExceededError,
  InvalidPageTokenError,
  PersistenceError,
  ShardOwnershipLostError,
} from '@odin/persistence';
import { type PersistenceStore, SearchAttributeRegistry } from '@odin/persistence';
import { runKey } from './cache.js';
import { CachedHistory } from './cached-history.js';
import type { CachedRun } from './cache.js';
import { storeTransitions } from './commit.js';
import type { PendingCommit } from './commit.js';
import type { HistoryLogger, HistoryOptions } from './context.js';
import { ChangeWaiters } from './long-poll.js';
import type { HistoryMetricsRecorder } from './metrics.js';
import type { NamespaceNames } from './namespaces.js';
import type { QueryRegistry } from './queries.js';
import type { UpdateRegistry } from './updates.js';
import { shardIdFor } from './shard/shard-id.js';
import type { OwnedShards, Shard } from './shard/owned-shards.js';
import { Mutation } from './state/history-builder.js';
import type { CreateScope, Creation, NewRun } from './state/history-builder.js';
import {
  HISTORY_SERVICE_IDENTITY,
  historyGrowth,
  MUTABLE_STATE_SIZE_EXCEEDS_LIMIT,
} from './state/history-limits.js';
import { isRunning, mutableStateJson, parseMutableState } from './state/mutable-state.js';
import { terminateRun } from './state/terminate.js';
import { timerTaskApplies } from './state/timer-task-applies.js';
import { decodeEvent, rememberEncoding } from './util/codec.js';
import type { HistoryEvent } from './util/codec.js';
import { KeyedLock, workflowKey } from './workflow-lock.js';
import { deliverHandOff, handOffWorkflowTask } from './workflow-task-handoff.js';
import type { HandOff } from './workflow-task-handoff.js';

function isNotFound(error: unknown): boolean {
  return error instanceof ServiceError && error.code === status.NOT_FOUND;
}

/** How long a closed run is answered from the cache before it is re-read from the store. */
export const CLOSED_RUN_CACHE_MS = 60_000;

/** How many times a transition is built again after its commit lost a CAS race against a stale cache entry. */
const MAX_CONFLICT_RETRIES = 3;

/** What the engine is built with; everything it needs exists before it. */
export interface EngineDeps {
  readonly clock: Clock;
  readonly store: PersistenceStore;
  readonly matching: MatchingApi;
  /** The shards this host holds (filled by the shard controller). */
  readonly shards: OwnedShards;
  readonly options: HistoryOptions;
  readonly logger: HistoryLogger;
  readonly metrics: HistoryMetricsRecorder;
  readonly names: NamespaceNames;
  readonly queries: QueryRegistry;
  /** Updates in flight on this host's runs (in memory; see updates.ts). */
  readonly updates: UpdateRegistry;
  /** The injected random source's ids. */
  readonly uuid: () => string;
}

/**
 * Drops the working copy built so far for this run and returns a fresh one of its committed state: only the fresh
 * copy is committed. Nothing built on the dropped copy survives, because nothing was ever written anywhere else.
 */
export type DiscardWorkingCopy = () => Mutation;

/**
 * The core every handler and executor uses: shard routing, the per-workflow lock, loading and caching mutable state,
 * and one path for every transition, `update` of an existing run or `create` of a new one: build on working copies,
 * commit them in one transaction through the shard's batcher, then (cache, waiters, timer gate, hand-off of transfer
 * tasks to matching) after the lock is released.
 */
export class HistoryEngine {
  readonly #lock = new KeyedLock();
  readonly waiters: ChangeWaiters;
  readonly clock: Clock;
  readonly store: PersistenceStore;
  readonly matching: MatchingApi;
  readonly options: HistoryOptions;
  readonly logger: HistoryLogger;
  readonly metrics: HistoryMetricsRecorder;
  readonly names: NamespaceNames;
  readonly queries: QueryRegistry;
  readonly updates: UpdateRegistry;
  readonly uuid: () => string;
  /** Registered search attributes per namespace: commands that set search attributes are checked against them. */
  readonly searchAttributes: SearchAttributeRegistry;
  readonly #shards: OwnedShards;

  constructor(deps: EngineDeps) {
    this.clock = deps.clock;
    this.store = deps.store;
    this.matching = deps.matching;
    this.options = deps.options;
    this.logger = deps.logger;
    this.metrics = deps.metrics;
    this.names = deps.names;
    this.queries = deps.queries;
    this.updates = deps.updates;
    this.uuid = deps.uuid;
    this.#shards = deps.shards;
    this.waiters = new ChangeWaiters(deps.clock);
    this.searchAttributes = new SearchAttributeRegistry(deps.store.searchAttributes, deps.clock);
  }

  now(): number {
    return this.clock.now();
  }

  shardFor(namespaceId: string, workflowId: string): Shard {
    const shardId = shardIdFor(namespaceId, workflowId, this.#shards.shardCount);
    annotateActiveSpan({ [TraceAttributes.shardId]: shardId });
    return this.#shards.get(shardId);
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
   * Read-modify-commit of one run under the workflow lock. `fn` works on a working copy of its mutable state through
   * a Mutation (the committed state is never touched before the commit) and may throw a ServiceError (nothing is
   * written), or `discard` that copy and build on a fresh one. The transition commits before this resolves.
   */
  update<R>(
    namespaceId: string,
    workflowId: string,
    runId: string | null | undefined,
    fn: (mut: Mutation, run: CachedRun, discard: DiscardWorkingCopy) => R | Promise<R>,
  ): Promise<R> {
    return this.#transaction(namespaceId, workflowId, runId, undefined, async (tx, shard) => {
      const run = await this.loadRun(shard, namespaceId, workflowId, runId);
      return fn(tx.open(run), run, () => tx.open(run));
    });
  }

  /**
   * Creates a run under the workflow lock, through the same commit and after-commit path as `update`. `decide` sees
   * the workflow's current run (read from the store) and returns the answer, with the new run's first transition
   * unless the request is answered without one; through `scope.open` it may change an existing run of the workflow in
   * the same transaction (terminate-if-running).
   */
  async create<R>(
    namespaceId: string,
    workflowId: string,
    decide: (scope: CreateScope) => Creation<R> | Promise<Creation<R>>,
  ): Promise<R> {
    // A workflow id this host knows no run of is most often new: the start is tried as brand-new without reading the
    // current row first (a statement, and on a server database a round trip, per start). If a row exists after all,
    // the insert of the current row conflicts, nothing is written, and the start is decided again on the row read.
    let assumeNew =
      this.#shards
        .held(shardIdFor(namespaceId, workflowId, this.#shards.shardCount))
        ?.cache.currentRunId(namespaceId, workflowId) === undefined;
    const retryRead = (error: unknown) => {
      if (!assumeNew || !(error instanceof CurrentExecutionConflictError)) return false;
      assumeNew = false;
      return true;
    };
    try {
      return await this.#transaction(namespaceId, workflowId, undefined, retryRead, async (tx, shard) => {
        const scope: CreateScope = {
          current: assumeNew
            ? null
            : await this.store.executions.getCurrentExecution(namespaceId, workflowId),
          now: tx.now,
          uuid: this.uuid,
          open: async (runId) => tx.open(await this.loadRun(shard, namespaceId, workflowId, runId)),
        };
        const creation = await decide(scope);
        if (creation.create) tx.created = creation.create;
        return creation.result;
      });
    } catch (error) {
      // The current run may have moved under a cached id (a concurrent start elsewhere): ask the store next time.
      this.#shards
        .held(shardIdFor(namespaceId, workflowId, this.#shards.shardCount))
        ?.cache.forgetCurrent(namespaceId, workflowId);
      throw error;
    }
  }

  /**
   * One transaction under the workflow lock: `body` opens working copies (and may create a run); whatever changed is
   * committed together, and what follows a commit runs after the lock is released, because handing transfer tasks to
   * matching may call back into history. A commit that lost a CAS race against a stale cache entry is built again
   * from the store; a NOT_FOUND is re-checked against the store once, never answered from memory.
   */
  async #transaction<R>(
    namespaceId: string,
    workflowId: string,
    runId: string | null | undefined,
    /** Whether a failed attempt is tried again (its own bookkeeping done), before the usual retries. */
    retry: ((error: unknown) => boolean) | undefined,
    body: (tx: Transaction, shard: Shard) => Promise<R>,
  ): Promise<R> {
    const shard = this.shardFor(namespaceId, workflowId);
    for (let attempt = 0; ; attempt++) {
      const lock = await this.#lock.acquire(workflowKey(namespaceId, workflowId));
      let after: (() => void) | undefined;
      // Polls taken for this transition's workflow tasks: released unless it commits.
      let handOffs: HandOff[] = [];
      try {
        shard.ctx.assertOwned();
        const tx = new Transaction(this.clock.now(), this.uuid);
        const result = await body(tx, shard);
        const terminated = this.#enforceHistoryLimits(tx);
        const pending = tx.pending();
        if (pending.updates.length > 0 || pending.creates.length > 0) {
          // A transition dropped for its run's termination is built again: nothing of it starts a task.
          if (!terminated && !shard.ctx.lost) handOffs = this.#handOffWorkflowTasks(pending);
          const created = await this.#commit(shard, pending);
          const delivering = handOffs;
          handOffs = [];
          after = () => {
            this.#afterCommit(shard, pending);
            this.#deliverHandOffs(delivering, pending, created);
          };
        }
        this.#applyEffects(tx);
        // The request's own transition was dropped for the run's termination: it is answered as the closed run
        // answers it, by running it again (once: a closed run is never terminated again).
        if (terminated) continue;
        return result;
      } catch (error) {
        if (retry?.(error)) continue;
        if (error instanceof ExecutionVersionConflictError && attempt < MAX_CONFLICT_RETRIES) {
          shard.cache.evict(runKey(namespaceId, workflowId, error.key.runId));
          continue;
        }
        if (attempt === 0 && isNotFound(error)) {
          this.#forget(shard, namespaceId, workflowId, runId);
          continue;
        }
        throw translateError(error, shard, workflowId);
      } finally {
        for (const handOff of handOffs) handOff.reservation.release();
        lock.release();
        after?.();
      }
    }
  }

  /** Starts this transition's newly scheduled workflow tasks for polls waiting in matching (workflow-task-handoff.ts). */
  #handOffWorkflowTasks(pending: PendingCommit): HandOff[] {
    const handOffs: HandOff[] = [];
    for (const { mut } of [...pending.updates, ...pending.creates]) {
      const handOff = handOffWorkflowTask(this, mut);
      if (handOff) handOffs.push(handOff);
    }
    return handOffs;
  }

  /** After the commit (and the lock): each handed-off task's poll gets its response, read from the committed run. */
  #deliverHandOffs(handOffs: HandOff[], pending: PendingCommit, created: CachedRun[]): void {
    for (const handOff of handOffs) {
      const update = pending.updates.find((u) => u.mut === handOff.mut);
      const run = update?.run ?? created[pending.creates.findIndex((c) => c.mut === handOff.mut)];
      if (run) void deliverHandOff(this, handOff, run);
      else handOff.reservation.release();
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

  /**
   * Deletes a closed run (execution row, history, visibility record; the current-run row when it names the run) under
   * the workflow lock and the shard's fence, and forgets it in the cache. A running run is refused: it must close
   * first, so its close work (parent notification, parent-close policy) reads what it needs. NOT_FOUND when absent.
   */
  async deleteRun(namespaceId: string, workflowId: string, runId: string): Promise<void> {
    const shard = this.shardFor(namespaceId, workflowId);
    const lock = await this.#lock.acquire(workflowKey(namespaceId, workflowId));
    try {
      shard.ctx.assertOwned();
      const run = await this.loadRun(shard, namespaceId, workflowId, runId);
      if (isRunning(run.ms)) throw ServiceError.failedPrecondition('A running workflow is not deleted.');
      const fence = await shard.ctx.prepare([]);
      await this.store.executions.deleteWorkflowExecution(fence, { namespaceId, workflowId, runId });
      this.#forget(shard, namespaceId, workflowId, runId);
    } catch (error) {
      throw translateError(error, shard, workflowId);
    } finally {
      lock.release();
    }
  }

  /** Runs `fn` on the committed state of a run under the workflow lock (no write). */
  async read<R>(
    namespaceId: string,
    workflowId: string,
    runId: string | null | undefined,
    fn: (run: CachedRun) => R | Promise<R>,
  ): Promise<R> {
    const shard = this.shardFor(namespaceId, workflowId);
    for (let attempt = 0; ; attempt++) {
      const lock = await this.#lock.acquire(workflowKey(namespaceId, workflowId));
      try {
        const run = await this.loadRun(shard, namespaceId, workflowId, runId);
        return await fn(run);
      } catch (error) {
        if (attempt === 0 && isNotFound(error)) {
          this.#forget(shard, namespaceId, workflowId, runId);
          continue;
        }
        throw translateError(error, shard, workflowId);
      } finally {
        lock.release();
      }
    }
  }

  /**
   * A transition that would leave a running run's history above an error limit is dropped, and the run is
   * terminated instead (Temporal's reasons, identity `history-service`): a run never grows past what the store
   * takes, so no poll, completion, Terminate or Cancel of it ever fails on its size, and its task queue keeps
   * serving the other runs. Transitions that close the run are kept (Terminate always works), and so are cancel
   * requests (Cancel always works; the run's next transition over the limit ends it). True when a run was
   * terminated this way.
   */
  #enforceHistoryLimits(tx: Transaction): boolean {
    const limits = this.options.historyLimits;
    let terminated = false;
    for (const [run, mut] of tx.copies()) {
      if (!mut.changed || !isRunning(mut.ms) || mut.historyLimitExempt) continue;
      const growth = historyGrowth(mut, limits);
      const ms = mut.ms;
      const fields = {
        namespaceId: ms.namespaceId,
        workflowId: ms.workflowId,
        runId: ms.runId,
        historyCount: growth.count,
        historySizeBytes: growth.bytes,
      };
      if (growth.warn) this.logger.warn(fields, `history ${growth.warn} exceeds warn limit`);
      // The state as last committed (its stored JSON; Temporal too checks the size of the last persist).
      const exceeded =
        growth.exceeded ??
        (run.json.length > limits.stateError ? MUTABLE_STATE_SIZE_EXCEEDS_LIMIT : undefined);
      if (!exceeded) continue;
      this.logger.warn(
        { ...fields, stateBytes: run.json.length },
        `workflow exceeds an error limit: terminating (${exceeded})`,
      );
      terminateRun(tx.open(run), exceeded, HISTORY_SERVICE_IDENTITY, null);
      terminated = true;
    }
    return terminated;
  }

  /**
   * Commits the transaction's runs in one store transaction; the cache then holds them as committed. Returns the
   * cache entries of the created runs (in `pending.creates` order).
   */
  async #commit(shard: Shard, pending: PendingCommit): Promise<CachedRun[]> {
    const { transitions, jsons } = storeTransitions(pending, shard.ctx.shardId, this.clock.now());
    let versions: number[];
    try {
      versions = await shard.ctx.commit(transitions);
    } catch (error) {
      this.#forgetUncertain(shard, pending);
      throw error;
    }
    pending.updates.forEach(({ run, mut }, i) => {
      run.ms = mut.ms;
      run.json = jsons[i]!;
      run.dbVersion = versions[i]!;
      run.history?.append(mut.events);
      shard.cache.put(runKey(mut.ms.namespaceId, mut.ms.workflowId, mut.ms.runId), run);
    });
    return pending.creates.map(({ mut }, i) => {
      const ms = mut.ms;
      const at = pending.updates.length + i;
      const run: CachedRun = {
        ms,
        json: jsons[at]!,
        dbVersion: versions[at]!,
        history: new CachedHistory(mut.events),
      };
      shard.cache.put(runKey(ms.namespaceId, ms.workflowId, ms.runId), run);
      shard.cache.setCurrentRunId(ms.namespaceId, ms.workflowId, ms.runId);
      return run;
    });
  }

  /**
   * After a failed commit the cache may no longer match the store: a lost acknowledgement (the database wrote the
   * transaction, the caller saw an error) leaves a closed run cached as running and the workflow's current run cached
   * as the one a continue-as-new, retry or cron just replaced. Every run of the transaction and the workflow's
   * current run are read from the store again next time.
   */
  #forgetUncertain(shard: Shard, pending: PendingCommit): void {
    for (const { mut } of [...pending.updates, ...pending.creates]) {
      const ms = mut.ms;
      shard.cache.evict(runKey(ms.namespaceId, ms.workflowId, ms.runId));
      shard.cache.forgetCurrent(ms.namespaceId, ms.workflowId);
    }
  }

  /**
   * The in-memory consequences of a committed transaction (or of one that had nothing to write), still under the
   * workflow lock so that the next transition of the run sees them: each kept working copy's effects, then the end of
   * the updates of a run that closed. Nothing here may fail the transaction, which is committed already.
   */
  #applyEffects(tx: Transaction): void {
    for (const mut of tx.kept()) {
      try {
        for (const effect of mut.effects) effect();
        this.updates.onCommitted(mut);
      } catch (error) {
        this.logger.error(
          { err: error, workflowId: mut.ms.workflowId, runId: mut.ms.runId },
          'applying a committed transition in memory failed',
        );
      }
    }
  }

  /** After a commit: metrics, waiters, queries, timers armed, transfer tasks handed to matching. */
  #afterCommit(shard: Shard, pending: PendingCommit): void {
    const muts = [...pending.updates.map((u) => u.mut), ...pending.creates.map((c) => c.mut)];
    for (const mut of muts) {
      const ms = mut.ms;
      if (mut.created) this.metrics.started(ms.namespaceId, ms.workflowType);
      if (mut.closed)
        this.metrics.closed(ms.namespaceId, ms.workflowType, ms.status, ms.closeTime - ms.startTime);
      this.waiters.notify(runKey(ms.namespaceId, ms.workflowId, ms.runId));
      this.queries.onCommit(ms);
      for (const task of mut.tasks) {
        if (task.category === 'timer') shard.timers.schedule(task);
        else if (task.category === 'transfer') shard.transfer.dispatch(task);
      }
      // After this transition's own timers are queued: one its own close made stale (a timer started by the
      // completion that closed the run) goes too.
      shard.timers.dropStale(ms.runId, ms, timerTaskApplies);
    }
  }

  /** Committed events [from, toExclusive) of a run, from the cache when it holds the whole history. */
  async readEvents(run: CachedRun, from: number, toExclusive: number): Promise<HistoryEvent[]> {
    if (toExclusive <= from) return [];
    if (run.history && run.history.length === run.ms.nextEventId - 1) {
      return run.history.slice(from - 1, toExclusive - 1);
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
      // The events (and their payloads, views into their encodings) may stay in the run cache: decoded from one copy
      // of the page of their own, not from the driver's buffers, which may be slices of pooled or larger ones.
      const encodings = ownedBuffers(page.events.map((row) => row.data));
      for (const data of encodings) {
        const event = decodeEvent(data);
        rememberEncoding(event, data);
        out.push(event);
      }
      min = page.events[page.events.length - 1]!.eventId + 1;
    }
    if (from === 1 && toExclusive === ms.nextEventId && out.length === ms.nextEventId - 1) {
      run.history = new CachedHistory(out);
      // The cache bounds its bytes: the run it holds just grew by its history.
      const shard = this.#shards.held(shardIdFor(ms.namespaceId, ms.workflowId, this.#shards.shardCount));
      shard?.cache.resize(runKey(ms.namespaceId, ms.workflowId, ms.runId), run);
    }
    return out;
  }
}

/**
 * The working copies of one transaction, by the committed run they were copied from, and the run it creates.
 * Opening a run again replaces its copy: the earlier copy is dropped whole.
 */
class Transaction {
  readonly #copies = new Map<CachedRun, Mutation>();
  created: NewRun | undefined;

  constructor(
    readonly now: number,
    private readonly uuid: () => string,
  ) {}

  /** Every run this transaction opened, with its working copy. */
  copies(): [CachedRun, Mutation][] {
    return [...this.#copies];
  }

  open(run: CachedRun): Mutation {
    const mut = new Mutation(parseMutableState(run.json), this.now, this.uuid);
    this.#copies.set(run, mut);
    return mut;
  }

  /** Every working copy this transaction keeps (changed or not), the runs it creates included. */
  kept(): Mutation[] {
    const muts = [...this.#copies.values()];
    if (this.created) muts.push(this.created.mut);
    for (const mut of this.#copies.values()) if (mut.newRun) muts.push(mut.newRun.mut);
    return muts;
  }

  /** What to commit: changed copies, then the created run and any run a copy's transition created (continue-as-new). */
  pending(): PendingCommit {
    const updates = [...this.#copies].filter(([, mut]) => mut.changed).map(([run, mut]) => ({ run, mut }));
    const creates: NewRun[] = [];
    if (this.created) creates.push(this.created);
    for (const { mut } of updates) if (mut.newRun) creates.push(mut.newRun);
    return { updates, creates };
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
  if (error instanceof InvalidPageTokenError) {
    return ServiceError.invalidArgument(
      'NextPageToken is invalid: pass back the token a previous page returned.',
    );
  }
  if (error instanceof PersistenceError)
    return ServiceError.unavailable(`Persistence error: ${error.message}`);
  return error;
}

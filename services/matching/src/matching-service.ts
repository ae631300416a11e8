import {
  type AddTaskRequest,
  type CallContext,
  decodeTaskToken,
  msToDuration,
  msToTimestamp,
  type HistoryApi,
  type MatchingApi,
  type NamespaceRef,
  type QueryTaskRequest,
  ServiceError,
  TaskQueueType,
  type WorkflowServiceRequest,
  type WorkflowPollReservation,
  type WorkflowServiceResponse,
} from '@odin/api';
import { HugoError } from '@odin/hugo';
import type { PersistenceStore } from '@odin/persistence';
import { type Logger, type RuntimeContext, STICKY_QUEUE_LABEL, withLogContext } from '@odin/runtime';
import { setMaxListeners } from 'node:events';
import { status } from '@grpc/grpc-js';
import { PersistedBacklog } from './backlog.js';
import { longPollEnd, MAX_LONG_POLL_MS } from './long-poll.js';
import { type BacklogLease, type DispatchOutcome, Partition, type Poller } from './partition.js';
import { QueryWaiters } from './query-waiters.js';
import { RecentPollers } from './recent-pollers.js';
import { StickyPollers } from './sticky-pollers.js';
import { isExpired, type PendingTask, pendingTask } from './task.js';

type PollWorkflowRequest = WorkflowServiceRequest<'PollWorkflowTaskQueueRequest'>;
type PollActivityRequest = WorkflowServiceRequest<'PollActivityTaskQueueRequest'>;
type PollWorkflowResponse = WorkflowServiceResponse<'PollWorkflowTaskQueueResponse'>;
type PollActivityResponse = WorkflowServiceResponse<'PollActivityTaskQueueResponse'>;

/** Temporal's TaskQueueKind.TASK_QUEUE_KIND_STICKY. */
const STICKY_KIND = 2;
const TYPE_LABEL: Record<number, string> = {
  [TaskQueueType.Workflow]: 'workflow',
  [TaskQueueType.Activity]: 'activity',
};

export interface MatchingServiceDeps<H extends HistoryApi = HistoryApi> {
  /**
   * Where polls record their task as started: history's API, or a function that builds it from this matching
   * service. History and matching call each other, and history's constructor takes a finished MatchingApi, so a
   * process that runs both builds history from matching: the constructor calls the function last, when every
   * other field of the service is set, and keeps what it returns. The function may keep the service it is given
   * but must not call it before the constructor returned.
   */
  readonly history: H | ((matching: MatchingService<H>) => H);
  /** Upper bound of an idle long poll; 60 s like Temporal. */
  readonly longPollMaxMs?: number;
  /**
   * How long an add with no poll waiting is held for one before it is persisted; 0 persists at once.
   * Under load the polls are busy but come back within milliseconds, so this turns backlog writes into sync matches.
   * Holding is crash-safe: until the add resolves, history keeps the task's transfer-outbox row, which a restart
   * re-dispatches. A worker fleet with fewer pollers than tasks in flight (sdk-core's default is a handful) makes
   * tasks queue for hundreds of milliseconds, so the hold is long enough to cover that rather than write and
   * delete a backlog row (two fsyncs on SQLite) for each of them.
   */
  readonly syncMatchWaitMs?: number;
}

/** FAILED_PRECONDITION: history sends the task to the normal queue instead. */
function stickyUnavailable(): ServiceError {
  return ServiceError.failedPrecondition(
    'StickyWorkerUnavailable: no worker is polling the sticky task queue; use the normal task queue.',
  );
}

/** Default of MatchingServiceDeps.syncMatchWaitMs. */
export const SYNC_MATCH_WAIT_MS = 2_000;

/**
 * The matching role in one process: task queues keyed by (namespace, name, type), long polls that answer empty
 * before the client's deadline, sync match of an added task to a waiting poll, a persisted backlog when nobody
 * waits (fenced by the queue's lease and loaded back in order after a restart), sticky queues, and query
 * dispatch to workflow pollers.
 */
export class MatchingService<H extends HistoryApi = HistoryApi> implements MatchingApi {
  readonly #ctx: RuntimeContext<PersistenceStore>;
  readonly #log: Logger;
  readonly #partitions = new Map<string, Partition>();
  readonly #queries: QueryWaiters;
  readonly #stickyPollers = new StickyPollers();
  /** Who polled each task queue lately (DescribeTaskQueue), by the queue's key. */
  readonly #pollers = new Map<string, RecentPollers>();
  /** The waiting polls of each worker that named itself (`worker_instance_key`), by namespace id and key. */
  readonly #workerPolls = new Map<string, Set<AbortController>>();
  readonly #longPollMaxMs: number;
  readonly #syncMatchWaitMs: number;
  readonly #stopping = new AbortController();
  /** Every poll still waiting or starting its task: stop() aborts them. */
  readonly #activePolls = new Set<AbortController>();
  /** History as this service calls it: as given, or as built from this service at construction. */
  readonly history: H;

  constructor(ctx: RuntimeContext<PersistenceStore>, deps: MatchingServiceDeps<H>) {
    this.#ctx = ctx;
    this.#log = withLogContext(ctx.logger, { component: 'matching' });
    this.#longPollMaxMs = deps.longPollMaxMs ?? MAX_LONG_POLL_MS;
    this.#syncMatchWaitMs = deps.syncMatchWaitMs ?? SYNC_MATCH_WAIT_MS;
    this.#queries = new QueryWaiters(ctx.clock);
    // Every waiting poll and held add listens on the stop signal; thousands at once are expected, not a leak.
    setMaxListeners(0, this.#stopping.signal);
    // Last: a history built from this service gets it with every other field set.
    this.history = typeof deps.history === 'function' ? deps.history(this) : deps.history;
  }

  /** Nothing runs in the background yet; the signal stops the service like stop(). */
  async start(signal?: AbortSignal): Promise<void> {
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
  }

  /**
   * Answers every waiting poll empty, refuses new ones, waits for backlog writes to finish and drops the in-memory
   * backlogs (their rows stay for the next start).
   */
  async stop(): Promise<void> {
    if (this.#stopping.signal.aborted) return;
    this.#stopping.abort();
    for (const poll of this.#activePolls) poll.abort(this.#stopping.signal.reason);
    this.#queries.rejectAll(ServiceError.unavailable('The server is shutting down.'));
    for (const partition of this.#partitions.values()) partition.releaseWaiters();
    await Promise.all([...this.#partitions.values()].map((p) => p.persisted.idle()));
    for (const partition of this.#partitions.values()) partition.close();
  }

  // ------------------------------------------------------------------------------------------------- partitions

  #key(ns: NamespaceRef, name: string, type: number): string {
    return `${ns.id}\u0000${name}\u0000${type}`;
  }

  async #partition(ns: NamespaceRef, name: string, type: number): Promise<Partition> {
    const key = this.#key(ns, name, type);
    let partition = this.#partitions.get(key);
    if (!partition) {
      const log = withLogContext(this.#log, { namespace: ns.name });
      const persisted = new PersistedBacklog(
        this.#ctx.store.matching,
        { namespaceId: ns.id, name, type },
        log,
      );
      const label = TYPE_LABEL[type] ?? String(type);
      const load = async (p: Partition) => {
        const tasks = await persisted.load(this.#ctx.clock.now());
        if (tasks.length > 0) {
          this.#log.info({ task_queue: name, tasks: tasks.length }, 'loaded task queue backlog');
          p.pushBacklog(...tasks);
          this.#ctx.metrics.matchingBacklogTasks.inc({ task_type: label }, tasks.length);
        }
      };
      partition = new Partition(name, persisted, this.#ctx.clock, load, {
        newLeaseId: () => this.#ctx.random.uuid(),
        returned: () => this.#ctx.metrics.matchingBacklogTasks.inc({ task_type: label }),
        // Unreachable with unlimited delivery attempts and requeueing failures; loud in case that ever changes.
        deadLettered: (task, error) =>
          log.error(
            {
              task_queue: name,
              workflow_id: task.workflowId,
              run_id: task.runId,
              scheduled_event_id: task.scheduledEventId,
              task_id: task.taskId,
              err: error,
            },
            'backlog task dead-lettered; it stays in the database but this host will not deliver it',
          ),
      });
      this.#partitions.set(key, partition);
      const created = partition;
      // A queue whose lease or backlog could not be read is forgotten, so the next call tries again.
      created.ready.catch(() => {
        if (this.#partitions.get(key) === created) this.#partitions.delete(key);
      });
    }
    await partition.ready;
    return partition;
  }

  /**
   * Forgets the task queues this host no longer owns (a cluster's matching ring changed). Their waiting polls are
   * answered empty at once, so workers poll again and reach the new owner instead of idling here for a minute.
   * Adds still held here persist to the backlog or fail on the lost lease; history re-dispatches either way.
   * Returns how many queues were released.
   */
  releasePartitions(stillOwned: (namespaceId: string, name: string, type: number) => boolean): number {
    let released = 0;
    for (const [key, partition] of this.#partitions) {
      const [namespaceId = '', name = '', type = '0'] = key.split('\u0000');
      if (stillOwned(namespaceId, name, Number(type))) continue;
      this.#partitions.delete(key);
      partition.release();
      released++;
    }
    if (released > 0) this.#log.info({ task_queues: released }, 'released task queues owned elsewhere now');
    return released;
  }

  // ------------------------------------------------------------------------------------------------------- adds

  addWorkflowTask(ns: NamespaceRef, req: AddTaskRequest, ctx: CallContext): Promise<void> {
    return this.#addTask(ns, TaskQueueType.Workflow, req, ctx);
  }

  addActivityTask(ns: NamespaceRef, req: AddTaskRequest, ctx: CallContext): Promise<void> {
    return this.#addTask(ns, TaskQueueType.Activity, req, ctx);
  }

  async #addTask(ns: NamespaceRef, type: number, req: AddTaskRequest, _ctx: CallContext): Promise<void> {
    if (this.#stopping.signal.aborted) throw ServiceError.unavailable('The server is shutting down.');
    const stickyKey = this.#key(ns, req.taskQueue, type);
    const sticky =
      type === TaskQueueType.Workflow && (req.sticky === true || this.#stickyPollers.isKnown(stickyKey));
    if (sticky && !this.#stickyPollers.isAlive(stickyKey, this.#ctx.clock.now())) throw stickyUnavailable();
    const partition = await this.#partition(ns, req.taskQueue, type);
    const task = pendingTask(req, this.#ctx.clock.now());
    const label = TYPE_LABEL[type] ?? String(type);
    for (;;) {
      const offered = partition.offerTask(task);
      if (!offered) break;
      const outcome = await offered;
      if (outcome !== 'failed') {
        this.#ctx.metrics.matchingTasksAddedTotal.inc({ task_type: label, delivery: 'sync' });
        return;
      }
    }
    const held = await partition.holdForPoll(task, this.#syncMatchWaitMs, this.#stopping.signal);
    if (held === 'started' || held === 'dropped') {
      this.#ctx.metrics.matchingTasksAddedTotal.inc({ task_type: label, delivery: 'sync' });
      return;
    }
    // A sticky task is never persisted: its worker is busy or gone, and any worker of the normal queue can take it.
    if (sticky) throw stickyUnavailable();
    await partition.persisted.append(task);
    this.#ctx.metrics.matchingTasksAddedTotal.inc({ task_type: label, delivery: 'backlog' });
    this.#ctx.metrics.matchingBacklogTasks.inc({ task_type: label });
    partition.pushBacklog(task);
  }

  // ------------------------------------------------------------------------------------------------- hand-offs

  /**
   * Takes the longest-waiting workflow-task poll of the queue for history, which starts a task for it in the
   * transition that schedules the task (see MatchingApi.reserveWorkflowPoll). Only a poll of the asked kind is taken,
   * so a sticky task goes only to its worker's sticky poll, as an add would; a queue this host does not serve (not
   * loaded, released, shutting down) has none. The poll stays in its loop, counted as polling (recent pollers,
   * sticky-poller liveness) until it answers, and waits for nothing else in between.
   */
  reserveWorkflowPoll(
    ns: NamespaceRef,
    taskQueue: string,
    sticky: boolean,
  ): WorkflowPollReservation | undefined {
    if (this.#stopping.signal.aborted) return undefined;
    const partition = this.#partitions.get(this.#key(ns, taskQueue, TaskQueueType.Workflow));
    if (!partition || partition.released || partition.waitingPolls === 0) return undefined;
    const taken = partition.takeWaiter(
      (poller) => ((poller.request as PollWorkflowRequest).taskQueue?.kind === STICKY_KIND) === sticky,
    );
    if (!taken) return undefined;
    let answer!: (response: PollWorkflowResponse | undefined) => void;
    taken.deliver({ kind: 'handoff', answer: new Promise((resolve) => (answer = resolve)) });
    const { poller } = taken;
    const queueLabel = sticky ? STICKY_QUEUE_LABEL : taskQueue;
    let open = true;
    const metrics = this.#ctx.metrics;
    return {
      pollRequest: poller.request as PollWorkflowRequest,
      deliver(response) {
        if (!open) return false;
        open = false;
        if (poller.callSignal.aborted) {
          answer(undefined);
          return false;
        }
        answer(response);
        metrics.matchingTasksAddedTotal.inc({ task_type: 'workflow', delivery: 'handoff' });
        // The task waited for no poll here.
        metrics.taskQueueLatencySeconds.observe({ queue_name: queueLabel, task_type: 'workflow' }, 0);
        return true;
      },
      release() {
        if (!open) return;
        open = false;
        answer(undefined);
      },
    };
  }

  // ------------------------------------------------------------------------------------------------------ polls

  async pollWorkflowTaskQueue(
    ns: NamespaceRef,
    req: PollWorkflowRequest,
    ctx: CallContext,
  ): Promise<PollWorkflowResponse> {
    return this.#poll(ns, TaskQueueType.Workflow, req, ctx, async (task) =>
      this.history.recordWorkflowTaskStarted(
        ns,
        {
          workflowId: task.workflowId,
          runId: task.runId,
          scheduledEventId: task.scheduledEventId,
          requestId: this.#ctx.random.uuid(),
          pollRequest: req,
        },
        ctx,
      ),
    );
  }

  async pollActivityTaskQueue(
    ns: NamespaceRef,
    req: PollActivityRequest,
    ctx: CallContext,
  ): Promise<PollActivityResponse> {
    return this.#poll(ns, TaskQueueType.Activity, req, ctx, async (task) =>
      this.history.recordActivityTaskStarted(
        ns,
        {
          workflowId: task.workflowId,
          runId: task.runId,
          scheduledEventId: task.scheduledEventId,
          requestId: this.#ctx.random.uuid(),
          pollRequest: req,
        },
        ctx,
      ),
    );
  }

  async #poll<R extends object>(
    ns: NamespaceRef,
    type: number,
    req: PollWorkflowRequest | PollActivityRequest,
    ctx: CallContext,
    start: (task: PendingTask) => Promise<R>,
  ): Promise<R> {
    const workerKey = req.workerInstanceKey ? `${ns.id}\u0000${req.workerInstanceKey}` : undefined;
    // One controller per poll, aborted by its caller's signal, by stop() and by ShutdownWorker (the worker's polls
    // listen for it). It replaces an AbortSignal.any over those sources: building composite signals, which every
    // source tracks until they are collected, cost measurable CPU per poll.
    const poll = new AbortController();
    const callSignal = ctx.signal;
    const onCallAbort = (): void => poll.abort(callSignal.reason);
    if (callSignal.aborted) poll.abort(callSignal.reason);
    else callSignal.addEventListener('abort', onCallAbort, { once: true });
    if (this.#stopping.signal.aborted) poll.abort(this.#stopping.signal.reason);
    this.#activePolls.add(poll);
    let polls: Set<AbortController> | undefined;
    if (workerKey !== undefined) {
      polls = this.#workerPolls.get(workerKey);
      if (!polls) {
        polls = new Set();
        this.#workerPolls.set(workerKey, polls);
      }
      polls.add(poll);
    }
    try {
      return await this.#pollQueue(ns, type, req, ctx, start, poll.signal);
    } finally {
      callSignal.removeEventListener('abort', onCallAbort);
      this.#activePolls.delete(poll);
      if (polls && workerKey !== undefined) {
        polls.delete(poll);
        if (polls.size === 0 && this.#workerPolls.get(workerKey) === polls)
          this.#workerPolls.delete(workerKey);
      }
    }
  }

  async #pollQueue<R extends object>(
    ns: NamespaceRef,
    type: number,
    req: PollWorkflowRequest | PollActivityRequest,
    ctx: CallContext,
    start: (task: PendingTask) => Promise<R>,
    signal: AbortSignal,
  ): Promise<R> {
    const clock = this.#ctx.clock;
    const until = longPollEnd(clock.now(), ctx.deadline, this.#longPollMaxMs);
    const name = req.taskQueue?.name ?? '';
    const pollers = this.#recentPollers(this.#key(ns, name, type));
    const identity = req.identity ?? '';
    // Only activity pollers say how many tasks a second they take.
    const rate = 'taskQueueMetadata' in req ? req.taskQueueMetadata?.maxTasksPerSecond?.value : undefined;
    pollers.record(identity, clock.now(), rate);
    const poller: Poller = { request: req, callSignal: ctx.signal };
    try {
      return await this.#pollKind(ns, type, req, start, until, signal, name, poller);
    } finally {
      pollers.record(identity, clock.now(), rate);
    }
  }

  #recentPollers(key: string): RecentPollers {
    let pollers = this.#pollers.get(key);
    if (!pollers) {
      // Sticky queues come and go with workers: forget the queues nobody polled lately before adding one more.
      if (this.#pollers.size >= 10_000) {
        const now = this.#ctx.clock.now();
        for (const [k, p] of this.#pollers) if (p.list(now).length === 0) this.#pollers.delete(k);
      }
      pollers = new RecentPollers();
      this.#pollers.set(key, pollers);
    }
    return pollers;
  }

  async #pollKind<R extends object>(
    ns: NamespaceRef,
    type: number,
    req: PollWorkflowRequest | PollActivityRequest,
    start: (task: PendingTask) => Promise<R>,
    until: number,
    signal: AbortSignal,
    name: string,
    poller: Poller,
  ): Promise<R> {
    const clock = this.#ctx.clock;

    // A sticky queue belongs to one worker; while it polls, history may send it the runs it has cached.
    if (req.taskQueue?.kind === STICKY_KIND && type === TaskQueueType.Workflow) {
      const key = this.#key(ns, name, type);
      this.#stickyPollers.pollStarted(key, clock.now());
      try {
        return await this.#pollPartition(ns, type, name, until, signal, start, STICKY_QUEUE_LABEL, poller);
      } finally {
        this.#stickyPollers.pollEnded(key, clock.now());
      }
    }
    return this.#pollPartition(ns, type, name, until, signal, start, name, poller);
  }

  /** `queueLabel` is the queue's name in metric labels: its own, or one shared by every sticky queue. */
  async #pollPartition<R extends object>(
    ns: NamespaceRef,
    type: number,
    name: string,
    until: number,
    signal: AbortSignal,
    start: (task: PendingTask) => Promise<R>,
    queueLabel: string,
    poller: Poller,
  ): Promise<R> {
    const clock = this.#ctx.clock;
    const label = TYPE_LABEL[type] ?? String(type);
    const partition = await this.#partition(ns, name, type);
    const gauge = this.#ctx.metrics.matchingPollersWaiting;
    while (!signal.aborted && clock.now() < until && !partition.released) {
      if (type === TaskQueueType.Workflow) {
        const query = partition.takeQuery();
        if (query) return query.response as R;
      }
      const leasing = partition.leaseBacklog();
      if (leasing) {
        const lease = await leasing;
        this.#ctx.metrics.matchingBacklogTasks.dec({ task_type: label });
        const response = await this.#dispatch(partition, lease.value, { queueLabel, label }, start, lease);
        if (response) return response;
        continue;
      }
      const held = partition.takeHeldAdd();
      if (held) {
        const response = await this.#dispatch(
          partition,
          held.task,
          { queueLabel, label },
          start,
          undefined,
          held.settle,
        );
        if (response) return response;
        continue;
      }
      gauge.inc({ task_type: label });
      const offer = await partition
        .waitForOffer(until, signal, poller)
        .finally(() => gauge.dec({ task_type: label }));
      if (!offer) break;
      if (offer.kind === 'wake') continue;
      if (offer.kind === 'task' && signal.aborted) {
        // The poll ended (its worker is leaving, or its caller gone) as the task reached it: the adder offers the
        // task to another poll, or holds it, rather than start it for a worker that will not run it.
        offer.settle('failed');
        break;
      }
      if (offer.kind === 'query') return offer.query.response as R;
      if (offer.kind === 'handoff') {
        // History took this poll for a task it starts in its own transition: the answer comes once that committed,
        // or nothing (the transition failed) and the poll waits again while it has time.
        const answer = await offer.answer;
        if (answer) return answer as R;
        continue;
      }
      const response = await this.#dispatch(
        partition,
        offer.task,
        { queueLabel, label },
        start,
        undefined,
        offer.settle,
      );
      if (response) return response;
    }
    return {} as R;
  }

  /**
   * Records the task as started in history. Undefined when history says it is stale (NOT_FOUND: dropped, the poll
   * keeps waiting). Other failures go back to the task's origin (the backlog lease is failed, so the task is
   * requeued; or the adder, who tries elsewhere) and to the poller.
   */
  async #dispatch<R>(
    partition: Partition,
    task: PendingTask,
    labels: { queueLabel: string; label: string },
    start: (task: PendingTask) => Promise<R>,
    lease: BacklogLease | undefined,
    settle?: (outcome: DispatchOutcome) => void,
  ): Promise<R | undefined> {
    const now = this.#ctx.clock.now();
    if (isExpired(task, now)) {
      this.#finishBacklogTask(partition, task, lease);
      settle?.('dropped');
      return undefined;
    }
    try {
      const response = await start(task);
      this.#ctx.metrics.taskQueueLatencySeconds.observe(
        { queue_name: labels.queueLabel, task_type: labels.label },
        (now - task.createdAt) / 1000,
      );
      this.#finishBacklogTask(partition, task, lease);
      settle?.('started');
      return response;
    } catch (error) {
      if (error instanceof ServiceError && error.code === status.NOT_FOUND) {
        this.#finishBacklogTask(partition, task, lease);
        settle?.('dropped');
        return undefined;
      }
      if (lease) this.#returnBacklogTask(lease, error);
      settle?.('failed');
      throw error;
    }
  }

  /**
   * The task was started or is stale: its lease ends and its row is deleted. The lease may be gone already — it
   * expired during a slow history call and another poll has the task, or the queue was released — and then there
   * is nothing to end; deleting the row twice is harmless, and history's request-id check decides which start counts.
   */
  #finishBacklogTask(partition: Partition, task: PendingTask, lease: BacklogLease | undefined): void {
    lease?.complete().catch(() => {});
    if (task.taskId !== undefined) void partition.persisted.complete(task.taskId);
  }

  /**
   * Puts a backlog task back for the next poll. A lease that already ended (it expired and the task was redelivered,
   * or the queue was released) must not requeue it a second time: its rejection is ignored.
   */
  #returnBacklogTask(lease: BacklogLease, error: unknown): void {
    const reason = HugoError.fromException(error);
    lease.fail(reason, true).catch(() => {});
  }

  // ------------------------------------------------------------------------------------------ describe queue

  /**
   * The pollers seen on the queue in the last five minutes (identity, last access, rate) and, when asked, its backlog:
   * the tasks persisted or held here for a poller.
   */
  async describeTaskQueue(
    ns: NamespaceRef,
    req: WorkflowServiceRequest<'DescribeTaskQueueRequest'>,
    _ctx: CallContext,
  ): Promise<WorkflowServiceResponse<'DescribeTaskQueueResponse'>> {
    const name = req.taskQueue?.name ?? '';
    const type = req.taskQueueType || TaskQueueType.Workflow;
    const now = this.#ctx.clock.now();
    const pollers = (this.#pollers.get(this.#key(ns, name, type))?.list(now) ?? []).map((p) => ({
      identity: p.identity,
      lastAccessTime: msToTimestamp(p.lastAccessTime),
      ratePerSecond: p.ratePerSecond,
    }));
    type Response = WorkflowServiceResponse<'DescribeTaskQueueResponse'>;
    // Timestamps and durations as plain numbers: the codec turns them into the message's int64 fields.
    if (!req.reportStats && !req.includeTaskQueueStatus) return { pollers } as unknown as Response;
    const partition = await this.#partition(ns, name, type);
    const backlog = partition.backlogSize + partition.heldAdds;
    const oldest = partition.oldestTaskCreatedAt();
    return {
      pollers,
      ...(req.reportStats
        ? {
            stats: {
              approximateBacklogCount: backlog,
              approximateBacklogAge: msToDuration(oldest === undefined ? 0 : Math.max(0, now - oldest)),
              tasksAddRate: 0,
              tasksDispatchRate: 0,
            },
          }
        : {}),
      ...(req.includeTaskQueueStatus ? { taskQueueStatus: { backlogCountHint: backlog } } : {}),
    } as unknown as Response;
  }

  // ------------------------------------------------------------------------------------------- worker shutdown

  async shutdownWorker(
    ns: NamespaceRef,
    req: WorkflowServiceRequest<'ShutdownWorkerRequest'>,
    _ctx: CallContext,
  ): Promise<WorkflowServiceResponse<'ShutdownWorkerResponse'>> {
    if (req.stickyTaskQueue) {
      // Like unloading the sticky queue: it is dead at once (the next sticky add is refused, so history uses the
      // normal queue) and any poll still waiting on it answers empty. Sticky tasks are never persisted here.
      const key = this.#key(ns, req.stickyTaskQueue, TaskQueueType.Workflow);
      this.#stickyPollers.forget(key);
      this.#pollers.delete(key);
      const partition = this.#partitions.get(key);
      if (partition) {
        this.#partitions.delete(key);
        partition.release();
      }
    }
    if (req.workerInstanceKey) {
      // A poll between its match and its start in history is not cut short: it returns its task (nothing is lost).
      for (const poll of this.#workerPolls.get(`${ns.id}\u0000${req.workerInstanceKey}`) ?? []) poll.abort();
    }
    this.#log.debug(
      {
        namespace: ns.name,
        sticky_task_queue: req.stickyTaskQueue ?? '',
        worker_instance_key: req.workerInstanceKey ?? '',
        identity: req.identity ?? '',
      },
      'worker shut down',
    );
    return {};
  }

  // ---------------------------------------------------------------------------------------------------- queries

  async dispatchQuery(
    ns: NamespaceRef,
    req: QueryTaskRequest,
    ctx: CallContext,
  ): Promise<WorkflowServiceRequest<'RespondQueryTaskCompletedRequest'>> {
    if (this.#stopping.signal.aborted) throw ServiceError.unavailable('The server is shutting down.');
    const partition = await this.#partition(ns, req.taskQueue, TaskQueueType.Workflow);
    const signal = AbortSignal.any([ctx.signal, this.#stopping.signal]);
    const answer = this.#queries.wait(req.queryId, ctx.deadline, signal);
    partition.offerQuery({
      queryId: req.queryId,
      response: req.response,
      claim: () => this.#queries.isWaiting(req.queryId),
    });
    try {
      return await answer;
    } finally {
      partition.removeQuery(req.queryId);
    }
  }

  async respondQueryTaskCompleted(
    ns: NamespaceRef,
    req: WorkflowServiceRequest<'RespondQueryTaskCompletedRequest'>,
    _ctx: CallContext,
  ): Promise<WorkflowServiceResponse<'RespondQueryTaskCompletedResponse'>> {
    const token = decodeTaskToken(req.taskToken);
    if (token.kind !== 'query' || token.namespaceId !== ns.id) {
      throw ServiceError.invalidArgument('TaskToken is not a query task token of this namespace.');
    }
    if (!this.#queries.answer(token.queryId, req)) {
      throw ServiceError.notFound(
        'The query is no longer waiting for an answer (it timed out or was cancelled).',
      );
    }
    return {};
  }
}

import { pathToFileURL } from 'node:url';
import { status } from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { durationToMs, temporal, timestampToMs, toNumber } from '@odin/api/public';
import { toProtoDuration } from '../common/duration.js';
import type { temporal as proto } from '@temporalio/proto';
import { type Clock, keepAliveClock, Semaphore } from '@odin/hugo';
import { ActivityContext, type ActivityInfo, runInActivityContext } from '../activity/context.js';
import { type ActivityInterceptorsFactory, executeWithInterceptors } from '../activity/interceptors.js';
import type { WorkflowInterceptorsFactory } from '../workflow/interceptors.js';
import { type CallOptions, type Connection, LONG_POLL_TIMEOUT_MS } from '../client/connection.js';
import { ServiceCallError } from '../client/errors.js';
import type {
  EagerWorkflowTask,
  EagerWorkflowTaskSlot,
  LocalWorkflowWorker,
} from '../client/local-workers.js';
import { ApplicationFailure, CancelledFailure, errorToFailure, TimeoutFailure } from '../common/failure.js';
import {
  defaultPayloadConverter,
  fromPayloads,
  type PayloadConverter,
  toPayloads,
} from '../common/payload.js';
import type { ICommand, IHistoryEvent } from '../common/proto-types.js';
import type { WorkflowRegistry } from '../workflow/options.js';
import { installDeterministicGlobals } from '../workflow/globals.js';
import {
  type QueryRequest,
  resumeWorkflowTask,
  runWorkflowTask,
  type WorkflowTaskOutcome,
} from '../workflow/task-runner.js';
import type { LocalActivityRunner } from '../workflow/local-activity-driver.js';
import { packUpdateMessages, updateRequestsOf } from './update-messages.js';
import { CodecCalls } from '../codec/codec-calls.js';
import type { PayloadCodec } from '../codec/payload-codec.js';
import { defaultWorkerIdentity } from './identity.js';
import { localActivityExecutor } from './local-activity-executor.js';
import { WorkflowRunCache } from './run-cache.js';

const enums = temporal.api.enums.v1;

/** Activities one workflow task may ask to run eagerly (as the official SDK core). */
export const MAX_EAGER_ACTIVITIES_PER_TASK = 3;

// biome-ignore lint/suspicious/noExplicitAny: activity signatures are the author's.
export type ActivityFunction = (...args: any[]) => unknown;

/** Polls of the normal workflow-task queue when `workflowPollers` is not given. */
const DEFAULT_WORKFLOW_POLLERS = 8;
/**
 * Sticky-queue polls per normal-queue poll when `stickyPollers` is not given. Once a run is cached, every later task
 * of it comes on the sticky queue, so that queue carries most of them (Temporal's SDKs also poll it more). A sticky
 * task is handed to a poll in the transition that schedules it only when one waits then; with 8 sticky polls and 64
 * workflows in flight, 18 of ~2,800 found one (each of the rest paid a second transaction to record its start).
 * 16 did about as well as 24, and every poll counts against the server's per-namespace poller limit
 * (docs/performance.md, fourteenth pass).
 */
const STICKY_POLLS_PER_NORMAL_POLL = 2;
/** Workflow-task slots when `maxConcurrentWorkflowTasks` is not given: above the default polls (8 + 16), so eager starts find free ones. */
const DEFAULT_WORKFLOW_TASK_SLOTS = 40;
export interface WorkerLogger {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface WorkerOptions {
  connection: Connection;
  namespace?: string;
  taskQueue: string;
  /** Workflow functions by type (a workflow module's exports), or ... */
  workflows?: WorkflowRegistry;
  /** ... the path of a plain ESM module exporting them (loaded after the deterministic globals are installed). */
  workflowsPath?: string;
  activities?: Readonly<Record<string, ActivityFunction>>;
  identity?: string;
  /**
   * Workflow-task slots (40, as the official TypeScript SDK). A poll holds one while it waits, so an eager start of a
   * client on this connection (`requestEagerStart`) finds one free only when this exceeds the polls
   * (`workflowPollers` + `stickyPollers`, 8 + 16 by default).
   */
  maxConcurrentWorkflowTasks?: number;
  maxConcurrentActivities?: number;
  /** Polls of the normal workflow-task queue (8); the sticky queue gets twice as many unless `stickyPollers` says. */
  workflowPollers?: number;
  activityPollers?: number;
  /** How long shutdown waits for work in flight before cancelling activities and handing them back. */
  shutdownGraceMs?: number;
  /**
   * Runs kept in memory between their workflow tasks (default 1000): the worker asks the server for sticky
   * execution, so their next task comes to this worker with only the new events. 0 keeps none: every task
   * replays the full history from the normal queue.
   */
  maxCachedWorkflows?: number;
  /** Evicts cached runs while this says the process is short of memory (default: V8 heap over 80% of its limit). */
  cacheMemoryPressure?: () => boolean;
  /** How long the server holds a sticky task for this worker before giving it to the normal queue (10 s). */
  stickyQueueScheduleToStartTimeoutMs?: number;
  /** Pollers of this worker's sticky queue (twice `workflowPollers` by default). */
  stickyPollers?: number;
  /**
   * Asks the server to start this worker's own activities with the workflow task that schedules them and hand them
   * back in its answer (`request_eager_execution`), instead of through a poll: default true. Only activities on this
   * worker's task queue that it registers, while it has a free activity slot, at most
   * MAX_EAGER_ACTIVITIES_PER_TASK per workflow task.
   */
  eagerActivityDispatch?: boolean;
  /** Heartbeat throttle when the activity has no heartbeat timeout. */
  defaultHeartbeatThrottleMs?: number;
  payloadConverter?: PayloadConverter;
  /**
   * Payload codecs (encryption, compression): histories, activity inputs and query arguments are decoded before
   * workflow and activity code sees them; commands, results, failures and heartbeats encoded on the way out.
   */
  payloadCodecs?: readonly PayloadCodec[];
  /** Hides failures' message and stack trace in an encoded payload (the official `encodeCommonAttributes`). */
  encodeFailureAttributes?: boolean;
  /**
   * Source of time; by default the system clock whose timers keep the process alive, so that a worker waiting out a
   * lost server (its poll's backoff) keeps running.
   */
  clock?: Clock;
  logger?: WorkerLogger;
  /** Interceptors: `workflow` factories make each run's (as workflow code), `activity` ones each execution's. */
  interceptors?: WorkerInterceptors;
}

export interface WorkerInterceptors {
  workflow?: readonly WorkflowInterceptorsFactory[];
  activity?: readonly ActivityInterceptorsFactory[];
}

export type WorkerState = 'created' | 'running' | 'stopping' | 'stopped';

/** Counters of what the worker did (for metrics and tests). */
export interface WorkerStats {
  workflowTasks: number;
  /** Workflow tasks answered by a run kept in memory, without replay. */
  resumedWorkflowTasks: number;
  /** Workflow tasks that came from this worker's sticky queue. */
  stickyWorkflowTasks: number;
  /** Tasks whose history had to be fetched whole (a partial history for a run no longer cached). */
  fullHistoryFetches: number;
  /** History events the server delivered with workflow tasks (partial on the sticky queue). */
  historyEventsReceived: number;
  /** History events the workflow tasks went through (replays included): the replay cost. */
  historyEventsApplied: number;
  /** Milliseconds spent bringing runs up to date and running them (replay plus the new work). */
  workflowTaskRunMs: number;
  /** Cached runs evicted for room (count or memory). */
  cacheEvictions: number;
  workflowTaskFailures: number;
  activityTasks: number;
  /** Activity tasks the server handed back with a workflow task's answer (eager dispatch). */
  eagerActivityTasks: number;
  /** First workflow tasks a client on this worker's connection handed over from an eager start's answer. */
  eagerWorkflowTasks: number;
}

const consoleLogger: WorkerLogger = {
  warn: (message, fields) => console.warn(`[odin-worker] ${message}`, fields ?? ''),
  error: (message, fields) => console.error(`[odin-worker] ${message}`, fields ?? ''),
};

/**
 * Polls a task queue for workflow and activity tasks and runs them: workflow tasks by replaying the full history
 * through the deterministic runtime, activities as plain async functions with heartbeats and cancellation.
 */
export class Worker implements LocalWorkflowWorker {
  readonly identity: string;
  readonly namespace: string;
  readonly taskQueue: string;
  private readonly connection: Connection;
  private readonly calls: CodecCalls;
  private readonly workflows: WorkflowRegistry;
  private readonly activities: Readonly<Record<string, ActivityFunction>>;
  private readonly converter: PayloadConverter;
  private readonly clock: Clock;
  private readonly logger: WorkerLogger;
  private readonly workflowSlots: Semaphore;
  private readonly activitySlots: Semaphore;
  private readonly pollAbort = new AbortController();
  private readonly runCache: WorkflowRunCache;
  private readonly localActivities: LocalActivityRunner;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly runningActivities = new Map<Promise<void>, AbortController>();
  private stateValue: WorkerState = 'created';
  /** In the connection's LocalWorkers (a worker running workflows, from run() until shutdown begins). */
  private registeredLocally = false;
  /** This worker's sticky task queue: unique to the worker, polled alongside the normal one. */
  readonly stickyTaskQueue: string;
  private readonly counters: WorkerStats = {
    workflowTasks: 0,
    resumedWorkflowTasks: 0,
    stickyWorkflowTasks: 0,
    fullHistoryFetches: 0,
    historyEventsReceived: 0,
    historyEventsApplied: 0,
    workflowTaskRunMs: 0,
    cacheEvictions: 0,
    workflowTaskFailures: 0,
    activityTasks: 0,
    eagerActivityTasks: 0,
    eagerWorkflowTasks: 0,
  };
  private stopRequested: (() => void) | undefined;
  private readonly stopped: Promise<void>;

  private constructor(
    private readonly options: WorkerOptions,
    workflows: WorkflowRegistry,
  ) {
    this.connection = options.connection;
    this.calls = new CodecCalls(options.connection, {
      ...(options.payloadCodecs ? { payloadCodecs: options.payloadCodecs } : {}),
      ...(options.encodeFailureAttributes ? { encodeFailureAttributes: true } : {}),
    });
    this.namespace = options.namespace ?? 'default';
    this.taskQueue = options.taskQueue;
    this.identity = options.identity ?? defaultWorkerIdentity();
    this.workflows = workflows;
    this.activities = options.activities ?? {};
    this.converter = options.payloadConverter ?? defaultPayloadConverter;
    this.clock = options.clock ?? keepAliveClock;
    this.logger = options.logger ?? consoleLogger;
    this.workflowSlots = executionSlots(
      'maxConcurrentWorkflowTasks',
      options.maxConcurrentWorkflowTasks ?? DEFAULT_WORKFLOW_TASK_SLOTS,
    );
    this.activitySlots = executionSlots('maxConcurrentActivities', options.maxConcurrentActivities ?? 100);
    this.runCache = new WorkflowRunCache(options.maxCachedWorkflows ?? 1000, {
      ...(options.cacheMemoryPressure ? { memoryPressure: options.cacheMemoryPressure } : {}),
    });
    this.stickyTaskQueue = `${this.identity}-sticky-${randomUUID()}`;
    this.localActivities = localActivityExecutor({
      activities: this.activities,
      converter: this.converter,
      clock: this.clock,
      interceptors: options.interceptors?.activity ?? [],
    });
    this.stopped = new Promise<void>((resolve) => {
      this.stopRequested = resolve;
    });
  }

  static async create(options: WorkerOptions): Promise<Worker> {
    if (!options.taskQueue) throw new TypeError('Worker needs a taskQueue');
    // Before any workflow module is evaluated, so even globals it captures at load time are the deterministic ones.
    installDeterministicGlobals();
    let workflows: WorkflowRegistry = options.workflows ?? {};
    if (options.workflowsPath) {
      const loaded = (await import(pathToFileURL(options.workflowsPath).href)) as WorkflowRegistry;
      workflows = { ...loaded, ...workflows };
    }
    return new Worker(options, workflows);
  }

  get state(): WorkerState {
    return this.stateValue;
  }

  get stats(): Readonly<WorkerStats> {
    return { ...this.counters, cacheEvictions: this.runCache.evictions };
  }

  /** Workflow and activity tasks being executed right now. */
  get inFlightTasks(): number {
    return this.inFlight.size;
  }

  /** Polls until `shutdown()` or `signal`; resolves once work in flight is finished or handed back. */
  async run(signal?: AbortSignal): Promise<void> {
    if (this.stateValue !== 'created') throw new Error(`Worker.run called in state ${this.stateValue}`);
    this.stateValue = 'running';
    const onAbort = () => this.shutdown();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) this.shutdown();
    const hasWorkflows = Object.values(this.workflows).some((w) => typeof w === 'function');
    const hasActivities = Object.keys(this.activities).length > 0;
    const pollers: Promise<void>[] = [];
    // Eager starts of clients on this connection may hand this worker first workflow tasks while it runs.
    if (hasWorkflows && this.stateValue === 'running') {
      this.connection.localWorkers.register(this);
      this.registeredLocally = true;
    }
    if (hasWorkflows) {
      // Polls that already wait when a task is scheduled get it in the scheduling transition (the server's hand-off
      // of a workflow task to a waiting poll); with 2 per queue most tasks found none waiting. Measured on the peers
      // bench (docs/performance.md): 8 per queue took W1 from ~3.8–5.4 to ~3.0–3.6 ms of server CPU per workflow.
      // The sticky queue, which carries most tasks once runs are cached, gets more (STICKY_POLLS_PER_NORMAL_POLL).
      const normal = this.options.workflowPollers ?? DEFAULT_WORKFLOW_POLLERS;
      for (let i = 0; i < normal; i++) pollers.push(this.pollWorkflowTasks(false));
      if (this.runCache.enabled) {
        const sticky = this.options.stickyPollers ?? normal * STICKY_POLLS_PER_NORMAL_POLL;
        for (let i = 0; i < sticky; i++) pollers.push(this.pollWorkflowTasks(true));
      }
    }
    if (hasActivities) {
      for (let i = 0; i < (this.options.activityPollers ?? 2); i++) pollers.push(this.pollActivityTasks());
    }
    await this.stopped;
    await Promise.allSettled(pollers);
    await this.drain();
    if (hasWorkflows && this.runCache.enabled) await this.shutdownOnServer();
    signal?.removeEventListener('abort', onAbort);
    this.stateValue = 'stopped';
  }

  /** Stops polling; work in flight gets `shutdownGraceMs` to finish. */
  shutdown(): void {
    if (this.stateValue !== 'running') return;
    this.stateValue = 'stopping';
    if (this.registeredLocally) this.connection.localWorkers.unregister(this);
    this.pollAbort.abort(new Error('Worker shutting down'));
    this.stopRequested?.();
  }

  /**
   * Tells the server this worker is gone, so tasks for its sticky queue go to the normal queue at once instead of
   * after the sticky timeout. A server without ShutdownWorker (or one that fails it) is not an error.
   */
  private async shutdownOnServer(): Promise<void> {
    try {
      await this.connection.call(
        'shutdownWorker',
        {
          namespace: this.namespace,
          stickyTaskQueue: this.stickyTaskQueue,
          identity: this.identity,
          reason: 'graceful shutdown',
        },
        { namespace: this.namespace, timeoutMs: 5000 },
      );
    } catch {
      // UNIMPLEMENTED or unreachable: the sticky timeout hands the tasks over instead.
    }
  }

  private async drain(): Promise<void> {
    if (this.inFlight.size === 0) return;
    const grace = this.options.shutdownGraceMs ?? 10_000;
    let timedOut = false;
    const timer = this.clock.setTimer(grace, () => {
      timedOut = true;
      // Past the bound: cancel activities; their failure hands them back to the server for a retry.
      for (const controller of this.runningActivities.values()) {
        controller.abort(
          new ApplicationFailure({
            message: 'Worker shut down before the activity finished',
            type: 'WorkerShutdown',
          }),
        );
      }
    });
    await Promise.allSettled([...this.inFlight]);
    timer.cancel();
    if (timedOut)
      this.logger.warn(
        'shutdown grace period elapsed; cancelled activities were handed back',
        this.logFields(),
      );
  }

  /** The structured fields every worker log line carries. */
  private logFields(): Record<string, unknown> {
    return { namespace: this.namespace, task_queue: this.taskQueue, worker_identity: this.identity };
  }

  /** Runs the worker until `work` settles, then shuts it down; returns what `work` returned. */
  async runUntil<T>(work: Promise<T> | (() => Promise<T>)): Promise<T> {
    const running = this.run();
    try {
      return await (typeof work === 'function' ? work() : work);
    } finally {
      this.shutdown();
      await running;
    }
  }

  private track(work: Promise<void>): Promise<void> {
    this.inFlight.add(work);
    work.finally(() => this.inFlight.delete(work)).catch(() => undefined);
    return work;
  }

  private call<M extends Parameters<Connection['call']>[0]>(
    method: M,
    request: Parameters<Connection['call']>[1] & object,
    options: CallOptions = {},
  ) {
    return this.calls.call(method, request as never, { namespace: this.namespace, ...options });
  }

  private async backoff(): Promise<void> {
    try {
      await this.clock.sleep(1000, this.pollAbort.signal);
    } catch {
      // shutting down
    }
  }

  // ---- workflow tasks -------------------------------------------------------------------------------------

  private async pollWorkflowTasks(sticky: boolean): Promise<void> {
    const signal = this.pollAbort.signal;
    const taskQueue = sticky
      ? {
          name: this.stickyTaskQueue,
          kind: enums.TaskQueueKind.TASK_QUEUE_KIND_STICKY,
          normalName: this.taskQueue,
        }
      : { name: this.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL };
    while (!signal.aborted) {
      if (!(await acquired(this.workflowSlots, signal))) return;
      let response: proto.api.workflowservice.v1.PollWorkflowTaskQueueResponse;
      try {
        response = await this.calls.call(
          'pollWorkflowTaskQueue',
          { namespace: this.namespace, taskQueue, identity: this.identity },
          { namespace: this.namespace, signal, timeoutMs: LONG_POLL_TIMEOUT_MS },
        );
      } catch (error) {
        this.workflowSlots.release();
        if (signal.aborted) return;
        if (!(error instanceof ServiceCallError && error.code === status.DEADLINE_EXCEEDED)) {
          this.logger.warn('workflow task poll failed', { ...this.logFields(), error: String(error) });
          await this.backoff();
        }
        continue;
      }
      if (!response.taskToken?.length) {
        this.workflowSlots.release();
        continue;
      }
      if (sticky) this.counters.stickyWorkflowTasks++;
      this.startWorkflowTask(response);
    }
  }

  /**
   * Runs a workflow task in the workflow slot its caller took; the slot is released when it is done. A polled task
   * arrives decoded by this worker's codecs; an eager one (`decode`) is decoded here, with the same.
   */
  private startWorkflowTask(
    task: proto.api.workflowservice.v1.PollWorkflowTaskQueueResponse,
    decode = false,
  ): Promise<void> {
    const work = decode
      ? this.calls
          .decode('temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse', task)
          .then((decoded) => this.handleWorkflowTask(decoded))
      : this.handleWorkflowTask(task);
    return this.track(
      work
        .catch((error: unknown) =>
          this.logger.error('workflow task handling failed', { error: String(error) }),
        )
        .finally(() => this.workflowSlots.release()),
    );
  }

  /**
   * Sets a workflow slot aside for an eager start of a client on this worker's connection (LocalWorkers): only
   * while running, for a workflow type this worker has, when a slot is free right now (polls waiting for one come
   * first). Until the start's answer delivers the task or releases the slot, shutdown waits for it like a task.
   */
  reserveEagerWorkflowTask(workflowType: string): EagerWorkflowTaskSlot | undefined {
    const known =
      Object.hasOwn(this.workflows, workflowType) && typeof this.workflows[workflowType] === 'function';
    if (this.stateValue !== 'running' || !known) return undefined;
    if (!this.workflowSlots.tryAcquire()) return undefined;
    let settle!: () => void;
    this.track(
      new Promise<void>((resolve) => {
        settle = resolve;
      }),
    );
    let used = false;
    return {
      deliver: (task: EagerWorkflowTask) => {
        if (used) return;
        used = true;
        this.counters.eagerWorkflowTasks++;
        // Started once the start's caller has its answer: the task's first activation runs on this thread too.
        // The answer was decoded as the same message type a poll returns.
        setImmediate(() => {
          this.startWorkflowTask(
            task as proto.api.workflowservice.v1.PollWorkflowTaskQueueResponse,
            true,
          ).finally(settle);
        });
      },
      release: () => {
        if (used) return;
        used = true;
        this.workflowSlots.release();
        settle();
      },
    };
  }

  /** The task's history as delivered (following page tokens): whole, or partial on a sticky queue. */
  private async deliveredHistory(
    response: proto.api.workflowservice.v1.PollWorkflowTaskQueueResponse,
  ): Promise<IHistoryEvent[]> {
    const events: IHistoryEvent[] = [...(response.history?.events ?? [])];
    let token = response.nextPageToken;
    while (token?.length) {
      const page = await this.calls.call(
        'getWorkflowExecutionHistory',
        { namespace: this.namespace, execution: response.workflowExecution ?? null, nextPageToken: token },
        { namespace: this.namespace },
      );
      events.push(...(page.history?.events ?? []));
      token = page.nextPageToken;
    }
    return events;
  }

  /**
   * The run's history from its first event (for a partial history whose run is not cached), followed by the
   * delivered events it lacks: a transient or speculative task's Scheduled/Started events are not stored, so only
   * the poll response carries them, and without them the open task (and the updates it delivers) would be missed.
   */
  private async historyFromStart(
    execution: proto.api.common.v1.IWorkflowExecution | null | undefined,
    delivered: readonly IHistoryEvent[],
  ): Promise<IHistoryEvent[]> {
    this.counters.fullHistoryFetches++;
    const events: IHistoryEvent[] = [];
    let token: Uint8Array | undefined;
    do {
      const page = await this.calls.call(
        'getWorkflowExecutionHistory',
        { namespace: this.namespace, execution: execution ?? null, nextPageToken: token ?? null },
        { namespace: this.namespace },
      );
      events.push(...(page.history?.events ?? []));
      token = page.nextPageToken?.length ? page.nextPageToken : undefined;
    } while (token);
    const last = toNumber(events.at(-1)?.eventId);
    events.push(...delivered.filter((event) => toNumber(event.eventId) > last));
    return events;
  }

  private async handleWorkflowTask(
    response: proto.api.workflowservice.v1.PollWorkflowTaskQueueResponse,
  ): Promise<void> {
    const taskToken = response.taskToken;
    const delivered = await this.deliveredHistory(response);
    const partial = delivered.length === 0 || toNumber(delivered[0]?.eventId) !== 1;
    this.counters.historyEventsReceived += delivered.length;
    const legacyQuery = response.query;
    const queries: QueryRequest[] = legacyQuery
      ? [
          {
            id: 'legacy',
            queryType: legacyQuery.queryType ?? '',
            args: legacyQuery.queryArgs ?? null,
            headers: legacyQuery.header?.fields ?? {},
          },
        ]
      : Object.entries(response.queries ?? {}).map(([id, q]) => ({
          id,
          queryType: q.queryType ?? '',
          args: q.queryArgs ?? null,
          headers: q.header?.fields ?? {},
        }));
    const runId = response.workflowExecution?.runId ?? '';
    const updates = await updateRequestsOf(response.messages ?? [], this.calls);
    const input = {
      namespace: this.namespace,
      workflowId: response.workflowExecution?.workflowId ?? '',
      runId,
      workflowType: response.workflowType?.name ?? '',
      history: delivered,
      workflows: this.workflows,
      converter: this.converter,
      queries,
      ...(legacyQuery ? {} : { localActivities: this.localActivities }),
      interceptors: this.options.interceptors?.workflow ?? [],
      updates,
    };
    // A query-only task must not move a cached run forward: it replays on its own.
    const cached = legacyQuery ? undefined : this.runCache.take(runId);
    let outcome: WorkflowTaskOutcome | undefined;
    this.counters.workflowTasks++;
    const began = performance.now();
    if (cached) outcome = await resumeWorkflowTask(cached.activator, cached.live, input);
    if (outcome) this.counters.resumedWorkflowTasks++;
    else {
      // Not cached (evicted, failed, or another worker's run): replay it all, fetching what a partial history lacks.
      const history = partial
        ? await this.historyFromStart(response.workflowExecution, delivered)
        : delivered;
      outcome = await runWorkflowTask({ ...input, history });
    }
    this.counters.workflowTaskRunMs += performance.now() - began;
    this.counters.historyEventsApplied += outcome.eventsApplied;
    if (legacyQuery) {
      const answer = outcome.queryResults.get('legacy');
      await this.call('respondQueryTaskCompleted', {
        taskToken,
        namespace: this.namespace,
        completedType:
          answer?.ok === true
            ? enums.QueryResultType.QUERY_RESULT_TYPE_ANSWERED
            : enums.QueryResultType.QUERY_RESULT_TYPE_FAILED,
        queryResult: answer?.ok ? (answer.answer ?? null) : null,
        errorMessage:
          answer && !answer.ok
            ? answer.message
            : outcome.nondeterminism
              ? outcome.nondeterminism.message
              : '',
      });
      return;
    }
    const failure = outcome.nondeterminism ?? outcome.taskFailure;
    if (failure !== undefined) {
      this.counters.workflowTaskFailures++;
      // Only the first attempt is reported: the server retries the task, and a failure reported on every attempt
      // would add a WorkflowTaskFailed event each time; later attempts time out and are retried quietly.
      if (toNumber(response.attempt) > 1) return;
      await this.call('respondWorkflowTaskFailed', {
        taskToken,
        namespace: this.namespace,
        identity: this.identity,
        cause: outcome.nondeterminism
          ? enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR
          : enums.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_WORKFLOW_WORKER_UNHANDLED_FAILURE,
        failure: errorToFailure(failure, this.converter),
      });
      return;
    }
    const queryResults: Record<string, proto.api.query.v1.IWorkflowQueryResult> = {};
    for (const [id, answer] of outcome.queryResults) {
      queryResults[id] = answer.ok
        ? { resultType: enums.QueryResultType.QUERY_RESULT_TYPE_ANSWERED, answer: answer.answer ?? null }
        : { resultType: enums.QueryResultType.QUERY_RESULT_TYPE_FAILED, errorMessage: answer.message };
    }
    // Cached before answering: the next task can reach the sticky queue before the answer's reply reaches us.
    const keep = outcome.live !== undefined && !outcome.activator.isCompleted && this.runCache.enabled;
    if (keep && outcome.live) this.runCache.put(runId, { activator: outcome.activator, live: outcome.live });
    const { commands, reserved } = this.requestEagerActivities(outcome.commands);
    let unusedSlots = reserved;
    try {
      const answered = await this.call('respondWorkflowTaskCompleted', {
        taskToken,
        namespace: this.namespace,
        identity: this.identity,
        commands,
        messages: await packUpdateMessages(outcome.messages, this.identity, this.calls),
        // A speculative task that only rejected updates may be discarded even though it showed this worker the
        // previous task's command events: the run cache takes the reset (below).
        capabilities: { discardSpeculativeWorkflowTaskWithEvents: true },
        queryResults,
        ...(keep
          ? {
              stickyAttributes: {
                workerTaskQueue: {
                  name: this.stickyTaskQueue,
                  kind: enums.TaskQueueKind.TASK_QUEUE_KIND_STICKY,
                  normalName: this.taskQueue,
                },
                scheduleToStartTimeout: toProtoDuration(
                  this.options.stickyQueueScheduleToStartTimeoutMs ?? 10_000,
                ),
              },
            }
          : {}),
      });
      for (const task of answered.activityTasks ?? []) {
        if (unusedSlots === 0 || !task.taskToken?.length) break;
        unusedSlots--;
        this.counters.eagerActivityTasks++;
        // Decoded from the answer like a poll's response (the same message type).
        this.startActivityTask(task as proto.api.workflowservice.v1.PollActivityTaskQueueResponse);
      }
      // The server discarded a speculative task that only rejected updates: history does not hold it, so the run
      // continues from the task before it (whose command events it matched, and will match again; the task
      // delivered nothing else), or is replayed when there is none.
      const resetTo = toNumber(answered.resetHistoryEventId);
      if (keep && resetTo > 0) {
        this.runCache.take(runId);
        const resumed = cached !== undefined && cached.activator === outcome.activator;
        if (resumed && resetTo === cached.live.startedEventId && outcome.live?.deliveredEvents === 0)
          this.runCache.put(runId, { activator: outcome.activator, live: cached.live });
      }
    } catch (error) {
      // The answer did not land: whatever the server does next, this run's kept state is not its state.
      if (keep) this.runCache.take(runId);
      // NOT_FOUND: the task is stale; INVALID_ARGUMENT "UnhandledCommand": new events arrived, a new task follows.
      if (
        error instanceof ServiceCallError &&
        (error.code === status.NOT_FOUND || error.message.includes('UnhandledCommand'))
      ) {
        return;
      }
      throw error;
    } finally {
      for (; unusedSlots > 0; unusedSlots--) this.activitySlots.release();
    }
  }

  /**
   * The completion's commands, with `request_eager_execution` on the activities this worker can run at once, each
   * holding an activity slot taken here (`reserved` of them): the server starts them in the same transition and
   * returns them in its answer, which saves a poll, a hand-off through matching and a transition per activity.
   */
  private requestEagerActivities(commands: ICommand[]): { commands: ICommand[]; reserved: number } {
    if (this.options.eagerActivityDispatch === false || this.stateValue !== 'running')
      return { commands, reserved: 0 };
    let reserved = 0;
    let out: ICommand[] | undefined;
    for (let i = 0; i < commands.length && reserved < MAX_EAGER_ACTIVITIES_PER_TASK; i++) {
      const command = commands[i]!;
      const attrs = command.scheduleActivityTaskCommandAttributes;
      if (command.commandType !== enums.CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK || !attrs) continue;
      const queue = attrs.taskQueue?.name;
      if ((queue && queue !== this.taskQueue) || !this.activities[attrs.activityType?.name ?? '']) continue;
      if (!this.activitySlots.tryAcquire()) break;
      reserved++;
      // A copy: the run's own command objects are what replay compares with history.
      out ??= [...commands];
      out[i] = {
        ...command,
        scheduleActivityTaskCommandAttributes: { ...attrs, requestEagerExecution: true },
      };
    }
    return { commands: out ?? commands, reserved };
  }

  // ---- activity tasks -------------------------------------------------------------------------------------

  private async pollActivityTasks(): Promise<void> {
    const signal = this.pollAbort.signal;
    while (!signal.aborted) {
      if (!(await acquired(this.activitySlots, signal))) return;
      let response: proto.api.workflowservice.v1.PollActivityTaskQueueResponse;
      try {
        response = await this.calls.call(
          'pollActivityTaskQueue',
          {
            namespace: this.namespace,
            taskQueue: { name: this.taskQueue, kind: enums.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
            identity: this.identity,
          },
          { namespace: this.namespace, signal, timeoutMs: LONG_POLL_TIMEOUT_MS },
        );
      } catch (error) {
        this.activitySlots.release();
        if (signal.aborted) return;
        if (!(error instanceof ServiceCallError && error.code === status.DEADLINE_EXCEEDED)) {
          this.logger.warn('activity task poll failed', { ...this.logFields(), error: String(error) });
          await this.backoff();
        }
        continue;
      }
      if (!response.taskToken?.length) {
        this.activitySlots.release();
        continue;
      }
      this.startActivityTask(response);
    }
  }

  /** Runs an activity task in the activity slot its caller took; the slot is released when it is done. */
  private startActivityTask(task: proto.api.workflowservice.v1.PollActivityTaskQueueResponse): void {
    const controller = new AbortController();
    const work = this.handleActivityTask(task, controller)
      .catch((error: unknown) => this.logger.error('activity task handling failed', { error: String(error) }))
      .finally(() => {
        this.activitySlots.release();
        this.runningActivities.delete(work);
      });
    this.runningActivities.set(work, controller);
    this.track(work);
  }

  private async handleActivityTask(
    task: proto.api.workflowservice.v1.PollActivityTaskQueueResponse,
    controller: AbortController,
  ): Promise<void> {
    this.counters.activityTasks++;
    const taskToken = task.taskToken;
    const activityType = task.activityType?.name ?? '';
    const info: ActivityInfo = {
      activityId: task.activityId ?? '',
      activityType,
      taskQueue: this.taskQueue,
      attempt: task.attempt ?? 1,
      workflowNamespace: task.workflowNamespace ?? this.namespace,
      workflowId: task.workflowExecution?.workflowId ?? '',
      runId: task.workflowExecution?.runId ?? '',
      workflowType: task.workflowType?.name ?? '',
      heartbeatDetails: fromPayloads(this.converter, task.heartbeatDetails)[0],
      heartbeatTimeoutMs: positive(durationToMs(task.heartbeatTimeout)),
      startToCloseTimeoutMs: positive(durationToMs(task.startToCloseTimeout)),
      scheduledTime: timestampToMs(task.scheduledTime),
      startedTime: timestampToMs(task.startedTime),
      taskToken,
      isLocal: false,
    };
    const fn = this.activities[activityType];
    if (!fn) {
      await this.call('respondActivityTaskFailed', {
        taskToken,
        namespace: this.namespace,
        identity: this.identity,
        failure: errorToFailure(
          new ApplicationFailure({
            message: `Activity "${activityType}" is not registered on worker ${this.identity}; registered: ${Object.keys(this.activities).join(', ')}`,
            type: 'NotFoundError',
          }),
          this.converter,
        ),
      });
      return;
    }
    const heartbeats = new HeartbeatSender(
      this,
      taskToken,
      info.heartbeatTimeoutMs
        ? info.heartbeatTimeoutMs * 0.8
        : (this.options.defaultHeartbeatThrottleMs ?? 30_000),
      controller,
    );
    const deadline =
      info.startToCloseTimeoutMs === undefined
        ? undefined
        : this.clock.setTimer(info.startToCloseTimeoutMs, () =>
            controller.abort(new TimeoutFailure('Activity start-to-close timeout elapsed', 'START_TO_CLOSE')),
          );
    const context = new ActivityContext(info, controller.signal, (details) => heartbeats.record(details));
    let value: unknown;
    let thrown: unknown;
    let failed = false;
    try {
      const args = fromPayloads(this.converter, task.input);
      const execution = runInActivityContext(context, () =>
        executeWithInterceptors(this.options.interceptors?.activity ?? [], context, fn, {
          args,
          headers: task.header?.fields ?? {},
        }),
      );
      // A local timeout or shutdown answers at once, even for an activity that ignores its signal; cancellation
      // waits for the activity, which decides how to wind down.
      value = await Promise.race([execution, abandonedOn(controller.signal)]);
    } catch (error) {
      failed = true;
      thrown = error;
    } finally {
      deadline?.cancel();
      heartbeats.stop();
    }
    const base = { taskToken, namespace: this.namespace, identity: this.identity };
    try {
      if (!failed) {
        await this.call('respondActivityTaskCompleted', {
          ...base,
          result: toPayloads(this.converter, [value]) ?? null,
        });
      } else if (controller.signal.reason instanceof CancelledFailure) {
        // Cancellation was requested: whatever the activity threw on its way out, it was cancelled.
        await this.call('respondActivityTaskCanceled', { ...base, details: null });
      } else {
        // A local timeout or shutdown names the real reason better than the error it caused.
        const reason = controller.signal.aborted ? controller.signal.reason : thrown;
        await this.call('respondActivityTaskFailed', {
          ...base,
          failure: errorToFailure(reason, this.converter),
        });
      }
    } catch (error) {
      // NOT_FOUND: the server already timed out or cancelled this attempt.
      if (!(error instanceof ServiceCallError && error.code === status.NOT_FOUND)) throw error;
    }
  }

  /** @internal used by HeartbeatSender */
  async sendHeartbeat(taskToken: Uint8Array, details: unknown): Promise<boolean> {
    const response = await this.call('recordActivityTaskHeartbeat', {
      taskToken,
      namespace: this.namespace,
      identity: this.identity,
      details: toPayloads(this.converter, [details]) ?? null,
    });
    return Boolean(response.cancelRequested || response.activityPaused || response.activityReset);
  }

  /** @internal */
  get workerClock(): Clock {
    return this.clock;
  }
}

/** At least one slot: a worker without any would poll nothing and never say why. */
function executionSlots(option: string, capacity: number): Semaphore {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`${option} must be an integer >= 1`);
  return new Semaphore(capacity);
}

/** Takes a slot; false when `signal` aborts first (the worker is shutting down). */
async function acquired(slots: Semaphore, signal: AbortSignal): Promise<boolean> {
  try {
    await slots.acquire(signal);
    return true;
  } catch {
    return false;
  }
}

function abandonedOn(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_, reject) => {
    const onAbort = () => {
      if (!(signal.reason instanceof CancelledFailure)) reject(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

function positive(ms: number | undefined): number | undefined {
  return ms !== undefined && ms > 0 ? ms : undefined;
}

/**
 * Throttles heartbeats: the first goes out at once, later ones at most every `intervalMs` carrying the latest
 * details. A reply asking for cancellation, or NOT_FOUND (the attempt is gone), aborts the activity.
 */
class HeartbeatSender {
  private lastSentAt: number | undefined;
  private pending: { details: unknown } | undefined;
  private timer: { cancel(): boolean } | undefined;
  private inFlight = false;
  private stopped = false;

  constructor(
    private readonly worker: Worker,
    private readonly taskToken: Uint8Array,
    private readonly intervalMs: number,
    private readonly controller: AbortController,
  ) {}

  record(details: unknown): void {
    if (this.stopped) return;
    this.pending = { details };
    this.schedule();
  }

  private schedule(): void {
    if (this.inFlight || this.timer || !this.pending) return;
    const clock = this.worker.workerClock;
    const wait =
      this.lastSentAt === undefined ? 0 : Math.max(0, this.lastSentAt + this.intervalMs - clock.now());
    if (wait === 0) {
      void this.flush();
      return;
    }
    this.timer = clock.setTimer(wait, () => {
      this.timer = undefined;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const next = this.pending;
    if (!next || this.stopped) return;
    this.pending = undefined;
    this.inFlight = true;
    this.lastSentAt = this.worker.workerClock.now();
    try {
      if (await this.worker.sendHeartbeat(this.taskToken, next.details)) {
        this.controller.abort(new CancelledFailure('Activity cancellation requested'));
      }
    } catch (error) {
      if (error instanceof ServiceCallError && error.code === status.NOT_FOUND) {
        this.controller.abort(new CancelledFailure('Activity no longer exists on the server'));
      }
    } finally {
      this.inFlight = false;
      this.schedule();
    }
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }
}

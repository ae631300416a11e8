import { durationToMs, temporal, timestampToMs } from '@odin/api/public';
import type { Clock } from '@odin/hugo';
import { Connection } from '../client/connection.js';
import {
  type SignalWithStartOptions,
  WorkflowClient,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '../client/workflow-client.js';
import type { Workflow } from '../common/definitions.js';
import type { IHistoryEvent } from '../common/proto-types.js';
import { SkippingClock } from './skipping-clock.js';
import { Worker, type WorkerOptions } from '../worker/worker.js';

/** What the environment needs of a server: started on a free port, driven by the given clock. */
export interface InProcessServer {
  readonly address: string;
  stop(): Promise<void>;
}

/**
 * Starts the server in process. Pass hugo-orchestrator's `startDevServer` (the SDK does not depend on the server
 * package, so the caller supplies it): `TestWorkflowEnvironment.create({ startServer: startDevServer })`.
 */
export type StartInProcessServer = (options: {
  port: number;
  clock: Clock;
  namespaces?: string[];
}) => Promise<InProcessServer>;

export interface TestWorkflowEnvironmentOptions {
  startServer: StartInProcessServer;
  /** Virtual epoch ms the server starts at; 2026-01-01 by default. */
  startTime?: number;
  namespace?: string;
  /** Real milliseconds with no task in flight before time skips forward (default 25). */
  quietMs?: number;
}

const EventType = temporal.api.enums.v1.EventType;

/** A client that remembers the workflows it started, so the environment can see their pending timers. */
class TrackingWorkflowClient extends WorkflowClient {
  readonly started = new Set<string>();

  override async start<W extends Workflow>(
    workflow: W | string,
    options: WorkflowStartOptions<Parameters<W>>,
  ): Promise<WorkflowHandle<W>> {
    const handle = await super.start(workflow, options);
    this.started.add(options.workflowId);
    return handle;
  }

  override async signalWithStart<W extends Workflow, SArgs extends unknown[] = unknown[]>(
    workflow: W | string,
    options: SignalWithStartOptions<Parameters<W>, SArgs>,
  ): Promise<WorkflowHandle<W>> {
    const handle = await super.signalWithStart(workflow, options);
    this.started.add(options.workflowId);
    return handle;
  }
}

/** When the earliest timer still pending in a history fires; undefined when none is, null when the run closed. */
function earliestPendingTimer(history: readonly IHistoryEvent[]): number | undefined | null {
  const pending = new Map<string, number>();
  for (const event of history) {
    const started = event.timerStartedEventAttributes;
    if (started?.timerId) {
      pending.set(
        started.timerId,
        (timestampToMs(event.eventTime) ?? 0) + (durationToMs(started.startToFireTimeout) ?? 0),
      );
    }
    const fired = event.timerFiredEventAttributes?.timerId ?? event.timerCanceledEventAttributes?.timerId;
    if (fired) pending.delete(fired);
    if (isCloseEvent(event.eventType ?? 0)) return null;
  }
  let earliest: number | undefined;
  for (const due of pending.values()) if (earliest === undefined || due < earliest) earliest = due;
  return earliest;
}

function isCloseEvent(type: number): boolean {
  return (
    type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED ||
    type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED ||
    type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED ||
    type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED ||
    type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT ||
    type === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
  );
}

// Real timers for the skipper itself, captured before workflow globals could be installed.
const realSetTimeout = globalThis.setTimeout;

function realDelay(ms: number): Promise<void> {
  return new Promise((resolve) => realSetTimeout(resolve, ms));
}

/**
 * The server in process on virtual time: while a test waits through `runUntil`, and no workflow or activity task
 * is in flight, time jumps to the earliest timer pending in a workflow this environment's client started, so a
 * workflow that sleeps for a week finishes in milliseconds. Activities still run in real time.
 */
export class TestWorkflowEnvironment {
  readonly clock: SkippingClock;
  readonly connection: Connection;
  readonly client: WorkflowClient;
  private readonly tracking: TrackingWorkflowClient;
  readonly namespace: string;
  private readonly workers: Worker[] = [];
  private readonly running: Promise<void>[] = [];

  private constructor(
    private readonly server: InProcessServer,
    clock: SkippingClock,
    namespace: string,
    private readonly quietMs: number,
  ) {
    this.clock = clock;
    this.namespace = namespace;
    this.connection = Connection.connect({ address: server.address });
    this.tracking = new TrackingWorkflowClient({ connection: this.connection, namespace });
    this.client = this.tracking;
  }

  static async create(options: TestWorkflowEnvironmentOptions): Promise<TestWorkflowEnvironment> {
    const clock = new SkippingClock(options.startTime ?? Date.UTC(2026, 0, 1));
    const namespace = options.namespace ?? 'default';
    const server = await options.startServer({
      port: 0,
      clock,
      ...(namespace === 'default' ? {} : { namespaces: [namespace] }),
    });
    return new TestWorkflowEnvironment(server, clock, namespace, options.quietMs ?? 25);
  }

  get address(): string {
    return this.server.address;
  }

  /** A worker on this environment's server; it starts polling at once and stops at teardown. */
  async startWorker(options: Omit<WorkerOptions, 'connection' | 'namespace'>): Promise<Worker> {
    const worker = await Worker.create({
      ...options,
      connection: this.connection,
      namespace: this.namespace,
    });
    this.workers.push(worker);
    this.running.push(worker.run());
    return worker;
  }

  private busy(): boolean {
    return this.workers.some((w) => w.inFlightTasks > 0);
  }

  /** Waits for `work`, skipping virtual time forward whenever the system is idle. */
  async runUntil<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const watched = work.finally(() => {
      settled = true;
    });
    watched.catch(() => undefined);
    while (!settled) {
      await realDelay(this.quietMs);
      if (settled || this.busy()) continue;
      // Two idle observations in a row: a task handed out between them would show as busy.
      await realDelay(this.quietMs);
      if (settled || this.busy()) continue;
      const next = await this.nextWorkflowTimer();
      if (next !== undefined) await this.clock.jumpTo(next);
    }
    return watched;
  }

  private async nextWorkflowTimer(): Promise<number | undefined> {
    let earliest: number | undefined;
    for (const workflowId of [...this.tracking.started]) {
      const due = earliestPendingTimer(await this.client.fetchHistory(workflowId).catch(() => []));
      if (due === null) this.tracking.started.delete(workflowId);
      else if (due !== undefined && (earliest === undefined || due < earliest)) earliest = due;
    }
    return earliest;
  }

  /** Moves virtual time forward by `ms`, firing the server timers due by then. */
  async sleep(ms: number): Promise<void> {
    await this.clock.advance(ms);
  }

  async teardown(): Promise<void> {
    for (const worker of this.workers) worker.shutdown();
    await Promise.allSettled(this.running);
    this.connection.close();
    await this.server.stop();
  }
}

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Latency buckets (seconds) from 1 ms to 60 s: long polls and timers sit at the top, RPCs at the bottom. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** A group commit carries from one transition to a few hundred (the batchers' budgets are 128 and 256). */
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];
/** Workflow durations run from milliseconds to days. */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 60, 300, 1800, 3600, 86400];

/**
 * The label value a task-queue label carries for every sticky queue. Sticky queues are named per worker process, so
 * their names would make one time series per worker that ever ran; their latency is reported as one queue instead.
 */
export const STICKY_QUEUE_LABEL = '__sticky__';

/**
 * Process and Node.js metrics (CPU, memory, file descriptors, event-loop lag, heap, GC) from prom-client's default
 * collectors, one registry per process and set of default labels. They describe the process, not a server, and
 * their collectors are process-wide and never released (an event-loop delay monitor and a GC performance observer):
 * started once per OdinMetrics, a process that builds many servers (tests, embedding) would run one of each per
 * server and expose the same numbers several times.
 */
const processRegistries = new Map<string, Registry>();

function processMetrics(defaultLabels: Record<string, string> | undefined): Registry {
  const key = JSON.stringify(defaultLabels ?? {});
  let registry = processRegistries.get(key);
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry, ...(defaultLabels ? { labels: defaultLabels } : {}) });
    processRegistries.set(key, registry);
  }
  return registry;
}

/**
 * Every Prometheus metric Odin exports, on a registry of its own (never the global one) so several servers can run
 * in one process. Names are those docs/architecture.md lists; labels are bounded (no workflow or run ids).
 */
export class OdinMetrics {
  readonly registry: Registry;
  /** Process and Node.js metrics, exposed after this server's own. */
  readonly processRegistry: Registry;
  /** Start to close of a run. */
  readonly workflowDurationSeconds: Histogram<'namespace' | 'workflow_type' | 'status'>;
  /** Workflow tasks handed out with history from the start (a replay by the worker). */
  readonly workflowReplayCount: Counter<'namespace' | 'workflow_type'>;
  /** Time a task waited in a task queue between add and poll; sticky queues share STICKY_QUEUE_LABEL. */
  readonly taskQueueLatencySeconds: Histogram<'queue_name' | 'task_type'>;
  /** 1 while this host holds the shard's lease. */
  readonly historyShardOwnership: Gauge<'shard_id' | 'host'>;
  readonly workflowStartedTotal: Counter<'namespace' | 'workflow_type'>;
  readonly workflowClosedTotal: Counter<'namespace' | 'workflow_type' | 'status'>;
  /** Frontend RPCs by method and gRPC status code name. */
  readonly rpcRequestsTotal: Counter<'service' | 'method' | 'code'>;
  readonly rpcLatencySeconds: Histogram<'service' | 'method'>;
  /** Tasks added to matching by how they were delivered: sync (to a waiting poll) or backlog (persisted). */
  readonly matchingTasksAddedTotal: Counter<'task_type' | 'delivery'>;
  /** Polls currently waiting, by task type. */
  readonly matchingPollersWaiting: Gauge<'task_type'>;
  /** Backlog tasks held in memory or the store, by task type. */
  readonly matchingBacklogTasks: Gauge<'task_type'>;
  /** Store calls by operation. */
  readonly persistenceLatencySeconds: Histogram<'operation'>;
  readonly persistenceErrorsTotal: Counter<'operation' | 'code'>;
  /** Transitions carried by one group commit of history (one database transaction). */
  readonly persistenceCommitTransitions: Histogram<never>;
  /** Time a history transition waited in the group commit's queue before its transaction started. */
  readonly persistenceCommitQueueSeconds: Histogram<never>;

  constructor(options: { defaultLabels?: Record<string, string> } = {}) {
    const registry = new Registry();
    if (options.defaultLabels) registry.setDefaultLabels(options.defaultLabels);
    this.registry = registry;
    this.processRegistry = processMetrics(options.defaultLabels);
    const registers = [registry];
    this.workflowDurationSeconds = new Histogram({
      name: 'workflow_duration_seconds',
      help: 'Duration of a workflow run from start to close.',
      labelNames: ['namespace', 'workflow_type', 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.workflowReplayCount = new Counter({
      name: 'workflow_replay_count',
      help: 'Workflow tasks dispatched with the full history after a completed task of the run (the worker replays).',
      labelNames: ['namespace', 'workflow_type'],
      registers,
    });
    this.taskQueueLatencySeconds = new Histogram({
      name: 'task_queue_latency_seconds',
      help: 'Time a task spent in a task queue before a poll took it.',
      labelNames: ['queue_name', 'task_type'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.historyShardOwnership = new Gauge({
      name: 'history_shard_ownership',
      help: '1 while this host holds the lease of the history shard.',
      labelNames: ['shard_id', 'host'],
      registers,
    });
    this.workflowStartedTotal = new Counter({
      name: 'workflow_started_total',
      help: 'Workflow runs started.',
      labelNames: ['namespace', 'workflow_type'],
      registers,
    });
    this.workflowClosedTotal = new Counter({
      name: 'workflow_closed_total',
      help: 'Workflow runs closed, by close status.',
      labelNames: ['namespace', 'workflow_type', 'status'],
      registers,
    });
    this.rpcRequestsTotal = new Counter({
      name: 'rpc_requests_total',
      help: 'RPCs served, by service, method and gRPC status code.',
      labelNames: ['service', 'method', 'code'],
      registers,
    });
    this.rpcLatencySeconds = new Histogram({
      name: 'rpc_latency_seconds',
      help: 'RPC handling time (long polls included).',
      labelNames: ['service', 'method'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.matchingTasksAddedTotal = new Counter({
      name: 'matching_tasks_added_total',
      help: 'Tasks added to matching, by delivery: sync (to a waiting poll) or backlog.',
      labelNames: ['task_type', 'delivery'],
      registers,
    });
    this.matchingPollersWaiting = new Gauge({
      name: 'matching_pollers_waiting',
      help: 'Long polls currently waiting for a task.',
      labelNames: ['task_type'],
      registers,
    });
    this.matchingBacklogTasks = new Gauge({
      name: 'matching_backlog_tasks',
      help: 'Tasks waiting in matching backlogs for a poller.',
      labelNames: ['task_type'],
      registers,
    });
    this.persistenceLatencySeconds = new Histogram({
      name: 'persistence_latency_seconds',
      help: 'Store call time by operation.',
      labelNames: ['operation'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.persistenceErrorsTotal = new Counter({
      name: 'persistence_errors_total',
      help: 'Store calls that failed, by operation and error code.',
      labelNames: ['operation', 'code'],
      registers,
    });
    this.persistenceCommitTransitions = new Histogram({
      name: 'persistence_commit_transitions',
      help: 'Transitions carried by one group commit of history (one database transaction).',
      buckets: BATCH_BUCKETS,
      registers,
    });
    this.persistenceCommitQueueSeconds = new Histogram({
      name: 'persistence_commit_queue_seconds',
      help: "Time a history transition waited in the group commit's queue before its transaction started.",
      buckets: LATENCY_BUCKETS,
      registers,
    });
  }

  /** The Prometheus text exposition of every metric: this server's, then the process's. */
  async expose(): Promise<string> {
    const [own, processWide] = await Promise.all([this.registry.metrics(), this.processRegistry.metrics()]);
    return `${own.endsWith('\n') ? own : `${own}\n`}${processWide}`;
  }
}

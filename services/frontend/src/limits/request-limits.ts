import { ServiceError } from '@odin/api';
import type { Clock } from '@odin/hugo';
import { TokenBucket } from './token-bucket.js';

/** What a frontend lets one namespace, and all of them, do at once. 0 turns a limit off. */
export interface RequestLimitSettings {
  /** Requests per second of one namespace on this frontend. */
  readonly namespaceRps: number;
  /** Requests of one namespace above the rate at once; default namespaceRps. */
  readonly namespaceBurst?: number;
  /** Concurrent long polls of one namespace on this frontend. */
  readonly maxLongPollsPerNamespace: number;
  /** Concurrent long polls on this frontend. */
  readonly maxLongPolls: number;
}

/** An admitted request: `respond` sees its answer (a task handed out), `release` ends it. */
export interface Admission {
  respond(response: object): void;
  release(): void;
}

const CAUSE_RPS_LIMIT = 1;
const CAUSE_CONCURRENT_LIMIT = 2;
const SCOPE_NAMESPACE = 1;
const SCOPE_SYSTEM = 2;

/** Polls a worker makes for tasks; with GetWorkflowExecutionHistory(wait_new_event) and update polls, the long polls. */
const TASK_POLLS = new Set(['PollWorkflowTaskQueue', 'PollActivityTaskQueue', 'PollNexusTaskQueue']);
const LONG_POLLS = new Set([...TASK_POLLS, 'PollWorkflowExecutionUpdate']);

/** Buckets kept before full (idle) ones are dropped: a client naming made-up namespaces or queues costs nothing. */
const MAX_IDLE_BUCKETS = 10_000;

interface PollRequest {
  readonly namespace?: unknown;
  readonly waitNewEvent?: unknown;
  readonly taskQueue?: { readonly name?: unknown } | null;
  readonly taskQueueMetadata?: { readonly maxTasksPerSecond?: { readonly value?: unknown } | null } | null;
}

/**
 * The frontend's admission of requests (Temporal's namespace rate limiter, concurrent long-poll limits and task
 * queue dispatch rate), refused with RESOURCE_EXHAUSTED (which the SDKs retry with backoff) before any work.
 * Per frontend process: a cluster of N frontends admits up to N times as much.
 */
export class RequestLimits {
  readonly #namespaceBuckets = new Map<string, TokenBucket>();
  /** Dispatch rate of a task queue, set by the `maxTasksPerSecond` its workers poll with. */
  readonly #queueBuckets = new Map<string, TokenBucket>();
  readonly #pollsByNamespace = new Map<string, number>();
  #polls = 0;

  constructor(
    private readonly clock: Clock,
    private readonly settings: RequestLimitSettings,
  ) {}

  /**
   * Admits the request or throws RESOURCE_EXHAUSTED; nothing is counted for a refused one. Every long poll counts
   * against the process's cap; task-queue polls (a namespace's pollers, as Temporal counts them) against the
   * namespace's too, so clients waiting on many results never starve its workers of polls, nor the other way round.
   */
  admit(method: string, request: object): Admission {
    const req = request as PollRequest;
    const namespace = typeof req.namespace === 'string' ? req.namespace : undefined;
    const taskPoll = TASK_POLLS.has(method);
    const longPoll =
      LONG_POLLS.has(method) || (method === 'GetWorkflowExecutionHistory' && req.waitNewEvent === true);
    const queue = namespace !== undefined && taskPoll ? this.#queueBucket(method, namespace, req) : undefined;
    if (longPoll) this.#checkPolls(taskPoll ? namespace : undefined);
    if (namespace !== undefined) this.#checkRate(namespace);
    if (queue && !queue.available())
      throw ServiceError.resourceExhausted(
        'task queue dispatch rate limit exceeded',
        CAUSE_RPS_LIMIT,
        SCOPE_NAMESPACE,
      );
    if (!longPoll) return { respond() {}, release() {} };
    this.#polls++;
    const pollerKey = taskPoll ? (namespace ?? '') : undefined;
    if (pollerKey !== undefined)
      this.#pollsByNamespace.set(pollerKey, (this.#pollsByNamespace.get(pollerKey) ?? 0) + 1);
    let released = false;
    return {
      // The queue is looked at first: a poll's answer handed on from matching is decoded only when read.
      respond: (response) => {
        if (!queue) return;
        const token = (response as { taskToken?: Uint8Array | null }).taskToken;
        if (token && token.length > 0) queue.take();
      },
      release: () => {
        if (released) return;
        released = true;
        this.#polls--;
        if (pollerKey === undefined) return;
        const left = (this.#pollsByNamespace.get(pollerKey) ?? 1) - 1;
        if (left > 0) this.#pollsByNamespace.set(pollerKey, left);
        else this.#pollsByNamespace.delete(pollerKey);
      },
    };
  }

  /** Long polls waiting now (for tests and metrics). */
  get longPolls(): number {
    return this.#polls;
  }

  /** `pollerNamespace`: the namespace whose pollers this is; undefined for other long polls. */
  #checkPolls(pollerNamespace: string | undefined): void {
    const { maxLongPolls, maxLongPollsPerNamespace } = this.settings;
    if (maxLongPolls > 0 && this.#polls >= maxLongPolls)
      throw ServiceError.resourceExhausted(
        'frontend concurrent poller limit exceeded',
        CAUSE_CONCURRENT_LIMIT,
        SCOPE_SYSTEM,
      );
    if (
      pollerNamespace !== undefined &&
      maxLongPollsPerNamespace > 0 &&
      (this.#pollsByNamespace.get(pollerNamespace) ?? 0) >= maxLongPollsPerNamespace
    )
      throw ServiceError.resourceExhausted(
        'namespace concurrent poller limit exceeded',
        CAUSE_CONCURRENT_LIMIT,
        SCOPE_NAMESPACE,
      );
  }

  #checkRate(namespace: string): void {
    const rps = this.settings.namespaceRps;
    if (rps <= 0) return;
    let bucket = this.#namespaceBuckets.get(namespace);
    if (!bucket) {
      pruneIdle(this.#namespaceBuckets);
      bucket = new TokenBucket(this.clock, rps, this.settings.namespaceBurst ?? rps);
      this.#namespaceBuckets.set(namespace, bucket);
    }
    if (!bucket.tryTake())
      throw ServiceError.resourceExhausted('namespace rate limit exceeded', CAUSE_RPS_LIMIT, SCOPE_NAMESPACE);
  }

  /** The queue's dispatch bucket, created or re-rated when the poll names a rate. */
  #queueBucket(method: string, namespace: string, req: PollRequest): TokenBucket | undefined {
    const name = typeof req.taskQueue?.name === 'string' ? req.taskQueue.name : '';
    const key = `${method}\u0000${namespace}\u0000${name}`;
    const rate = req.taskQueueMetadata?.maxTasksPerSecond?.value;
    let bucket = this.#queueBuckets.get(key);
    if (typeof rate === 'number' && Number.isFinite(rate) && rate > 0) {
      const burst = Math.max(1, Math.ceil(rate));
      if (bucket) bucket.setRate(rate, burst);
      else {
        pruneIdle(this.#queueBuckets);
        bucket = new TokenBucket(this.clock, rate, burst);
        this.#queueBuckets.set(key, bucket);
      }
    }
    return bucket;
  }
}

function pruneIdle(buckets: Map<string, TokenBucket>): void {
  if (buckets.size < MAX_IDLE_BUCKETS) return;
  for (const [key, bucket] of buckets) if (bucket.isFull()) buckets.delete(key);
}

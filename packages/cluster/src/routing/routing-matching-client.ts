import {
  type CallContext,
  decodeTaskToken,
  type MatchingApi,
  type NamespaceRef,
  ServiceError,
  TaskQueueType,
} from '@odin/api';
import type { Clock } from '@odin/hugo';
import type { MembershipMonitor } from '../membership-monitor.js';
import { type CallTarget, callOwner } from './owner-call.js';
import { type LocalRole, RoleTargets } from './role-targets.js';

export const MATCHING_ROLE = 'matching';

/** The ring key of a task queue: each (namespace, queue, type) lives on one matching member. */
export function taskQueueRingKey(namespaceId: string, taskQueue: string, type: number): string {
  return `tq:${namespaceId}:${type}:${taskQueue}`;
}

export interface RoutingMatchingOptions<L extends MatchingApi = MatchingApi> {
  readonly clock: Clock;
  readonly connect: (address: string) => MatchingApi & { close(): void };
  /** This process's matching role, built by the router and called directly when the ring says it owns the queue. */
  readonly local?: LocalRole<RoutingMatchingClient<L>, L>;
  readonly defaultTimeoutMs?: number;
  readonly attemptTimeoutMs?: number;
}

/**
 * Routes each matching call to the live matching member the ring gives its task queue (sticky queues included),
 * retrying while queues move. Polls are long polls: they are not cut per attempt, and a poll that finds no owner
 * before its deadline answers empty like any idle poll.
 */
export class RoutingMatchingClient<L extends MatchingApi = MatchingApi> implements MatchingApi {
  readonly #targets: RoleTargets<MatchingApi>;
  /** This process's matching role (built by `options.local.create`); undefined when this process runs none. */
  readonly local: L | undefined;
  readonly #localTarget: { readonly memberId: string; readonly api: MatchingApi } | undefined;

  constructor(
    monitor: MembershipMonitor,
    private readonly options: RoutingMatchingOptions<L>,
  ) {
    this.#targets = new RoleTargets(monitor, MATCHING_ROLE, options.connect);
    this.local = options.local?.create(this);
    this.#localTarget =
      options.local && this.local ? { memberId: options.local.memberId, api: this.local } : undefined;
  }

  close(): void {
    this.#targets.close();
  }

  /** True when `memberId` is the ring's owner of the queue (a matching host keeps only the queues it owns). */
  owns(memberId: string, namespaceId: string, taskQueue: string, type: number): boolean {
    return this.#targets.owns(memberId, taskQueueRingKey(namespaceId, taskQueue, type));
  }

  #target(namespaceId: string, taskQueue: string, type: number): CallTarget<MatchingApi> | undefined {
    return this.#targets.target(taskQueueRingKey(namespaceId, taskQueue, type), this.#localTarget);
  }

  #call<T>(
    what: string,
    ns: NamespaceRef,
    queue: { name: string; type: number; longPoll: boolean },
    ctx: CallContext,
    attempt: (api: MatchingApi, ctx: CallContext) => Promise<T>,
  ): Promise<T> {
    return callOwner(
      {
        clock: this.options.clock,
        ctx,
        resolve: () => this.#target(ns.id, queue.name, queue.type),
        what: `Matching ${what} on task queue ${queue.name}`,
        defaultTimeoutMs: this.options.defaultTimeoutMs ?? 30_000,
        attemptTimeoutMs: queue.longPoll ? undefined : (this.options.attemptTimeoutMs ?? 5_000),
        ...(what.startsWith('poll') ? { onDeadline: () => ({}) } : {}),
      },
      attempt,
    );
  }

  addWorkflowTask: MatchingApi['addWorkflowTask'] = (ns, req, ctx) =>
    this.#call(
      'addWorkflowTask',
      ns,
      { name: req.taskQueue, type: TaskQueueType.Workflow, longPoll: false },
      ctx,
      (api, c) => api.addWorkflowTask(ns, req, c),
    );

  addActivityTask: MatchingApi['addActivityTask'] = (ns, req, ctx) =>
    this.#call(
      'addActivityTask',
      ns,
      { name: req.taskQueue, type: TaskQueueType.Activity, longPoll: false },
      ctx,
      (api, c) => api.addActivityTask(ns, req, c),
    );

  pollWorkflowTaskQueue: MatchingApi['pollWorkflowTaskQueue'] = (ns, req, ctx) =>
    this.#call(
      'pollWorkflowTaskQueue',
      ns,
      { name: req.taskQueue?.name ?? '', type: TaskQueueType.Workflow, longPoll: true },
      ctx,
      (api, c) => api.pollWorkflowTaskQueue(ns, req, c),
    );

  pollActivityTaskQueue: MatchingApi['pollActivityTaskQueue'] = (ns, req, ctx) =>
    this.#call(
      'pollActivityTaskQueue',
      ns,
      { name: req.taskQueue?.name ?? '', type: TaskQueueType.Activity, longPoll: true },
      ctx,
      (api, c) => api.pollActivityTaskQueue(ns, req, c),
    );

  dispatchQuery: MatchingApi['dispatchQuery'] = (ns, req, ctx) =>
    this.#call(
      'dispatchQuery',
      ns,
      { name: req.taskQueue, type: TaskQueueType.Workflow, longPoll: true },
      ctx,
      (api, c) => api.dispatchQuery(ns, req, c),
    );

  respondQueryTaskCompleted: MatchingApi['respondQueryTaskCompleted'] = async (ns, req, ctx) => {
    const token = decodeTaskToken(req.taskToken);
    if (token.kind !== 'query' || token.taskQueue === undefined) {
      throw ServiceError.invalidArgument('TaskToken is not a query task token issued by this cluster.');
    }
    return this.#call(
      'respondQueryTaskCompleted',
      ns,
      { name: token.taskQueue, type: TaskQueueType.Workflow, longPoll: false },
      ctx,
      (api, c) => api.respondQueryTaskCompleted(ns, req, c),
    );
  };

  describeTaskQueue: MatchingApi['describeTaskQueue'] = (ns, req, ctx) =>
    this.#call(
      'describeTaskQueue',
      ns,
      { name: req.taskQueue?.name ?? '', type: req.taskQueueType || TaskQueueType.Workflow, longPoll: false },
      ctx,
      (api, c) => api.describeTaskQueue(ns, req, c),
    );

  /**
   * Goes to every member that may hold something of the worker: the owner of its sticky queue and the owners of its
   * normal queue's workflow and activity partitions (where its polls wait). Each forgets or answers what it holds.
   */
  shutdownWorker: MatchingApi['shutdownWorker'] = async (ns, req, ctx) => {
    const queues: { name: string; type: number }[] = [];
    if (req.stickyTaskQueue) queues.push({ name: req.stickyTaskQueue, type: TaskQueueType.Workflow });
    if (req.taskQueue) {
      queues.push({ name: req.taskQueue, type: TaskQueueType.Workflow });
      queues.push({ name: req.taskQueue, type: TaskQueueType.Activity });
    }
    await Promise.all(
      queues.map((queue) =>
        this.#call('shutdownWorker', ns, { ...queue, longPoll: false }, ctx, (api, c) =>
          api.shutdownWorker(ns, req, c),
        ),
      ),
    );
    return {};
  };
}

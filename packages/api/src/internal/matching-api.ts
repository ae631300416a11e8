import type { temporal } from '@temporalio/proto';
import type { CallContext, NamespaceRef } from './context.js';

type WS = typeof temporal.api.workflowservice.v1;
type Msg<K extends keyof WS> = WS[K] extends { create(p?: infer P): unknown } ? NonNullable<P> : never;

export const TaskQueueType = { Workflow: 1, Activity: 2 } as const;
export type TaskQueueType = (typeof TaskQueueType)[keyof typeof TaskQueueType];

/** A task history hands to matching: only a pointer; the poll response is built by history when it starts. */
export interface AddTaskRequest {
  readonly taskQueue: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly scheduledEventId: number;
  /** Epoch ms after which the task is dropped (schedule-to-start); undefined = never. */
  readonly expiresAt?: number;
  /**
   * The task targets a worker's sticky queue: matching hands it only to pollers of that queue and refuses it
   * (FAILED_PRECONDITION) when that worker has not polled recently, so history falls back to the normal queue.
   */
  readonly sticky?: boolean;
}

export interface QueryTaskRequest {
  readonly taskQueue: string;
  /** The query-only poll response to hand to a poller, `query` set, task token of kind 'query'. */
  readonly response: Msg<'PollWorkflowTaskQueueResponse'>;
  readonly queryId: string;
}

/**
 * A workflow-task poll that was waiting in matching, taken by history to start the task a transition is scheduling
 * in that same transition (see `MatchingApi.reserveWorkflowPoll`). Until one of its methods is called the poll waits
 * for nothing else: it takes no other task and does not time out into an empty answer.
 */
export interface WorkflowPollReservation {
  /** The poll's request: its identity and task queue kind decide how the task starts, as for record…Started. */
  readonly pollRequest: Msg<'PollWorkflowTaskQueueRequest'>;
  /**
   * Answers the poll with its task, once the transition that started it is committed. False when nobody can receive
   * it any more (the poll's call was cancelled meanwhile): the task was started for no one.
   */
  deliver(response: Msg<'PollWorkflowTaskQueueResponse'>): boolean;
  /** The transition did not commit (or does not use the poll): the poll goes back to waiting, or answers empty. */
  release(): void;
}

/**
 * The matching role: task queues, long polls, sync match, the persisted backlog, query dispatch.
 * `addWorkflowTask` / `addActivityTask` resolve once the task is durable in matching (sync-matched to a poll
 * that recorded it as started, or persisted to the backlog): only then may history delete its transfer task.
 * Polls answer an empty response (no task token) before ctx.deadline.
 *
 * Lock rule for history: never await `addWorkflowTask` / `addActivityTask` while holding the run's lock or an open
 * transaction. A sync match resolves only after the poller's `recordWorkflowTaskStarted` / `recordActivityTaskStarted`
 * for the same run returned, so awaiting under the lock deadlocks. Call them after commit, from the transfer path.
 * Adds are idempotent per (workflowId, runId, scheduledEventId) only through history: a duplicate delivery must make
 * `record…Started` throw NOT_FOUND (or return the same response for the same requestId).
 */
export interface MatchingApi {
  addWorkflowTask(ns: NamespaceRef, req: AddTaskRequest, ctx: CallContext): Promise<void>;
  addActivityTask(ns: NamespaceRef, req: AddTaskRequest, ctx: CallContext): Promise<void>;
  pollWorkflowTaskQueue(
    ns: NamespaceRef,
    req: Msg<'PollWorkflowTaskQueueRequest'>,
    ctx: CallContext,
  ): Promise<Msg<'PollWorkflowTaskQueueResponse'>>;
  pollActivityTaskQueue(
    ns: NamespaceRef,
    req: Msg<'PollActivityTaskQueueRequest'>,
    ctx: CallContext,
  ): Promise<Msg<'PollActivityTaskQueueResponse'>>;
  /** Hands a query-only task to a poller of the queue and resolves with the worker's answer. */
  dispatchQuery(
    ns: NamespaceRef,
    req: QueryTaskRequest,
    ctx: CallContext,
  ): Promise<Msg<'RespondQueryTaskCompletedRequest'>>;
  respondQueryTaskCompleted(
    ns: NamespaceRef,
    req: Msg<'RespondQueryTaskCompletedRequest'>,
    ctx: CallContext,
  ): Promise<Msg<'RespondQueryTaskCompletedResponse'>>;
  /**
   * The queue's pollers seen in the last five minutes (identity, last access time, rate per second) and, when the
   * request asks (`report_stats`, `include_task_queue_status`), its backlog count and age.
   */
  describeTaskQueue(
    ns: NamespaceRef,
    req: Msg<'DescribeTaskQueueRequest'>,
    ctx: CallContext,
  ): Promise<Msg<'DescribeTaskQueueResponse'>>;
  /**
   * A worker is leaving. Its sticky queue (`sticky_task_queue`) is forgotten at once, so the next sticky add is
   * refused and history sends the task to the normal queue; its waiting polls (those that carried its
   * `worker_instance_key`) answer empty now instead of at their deadline, so no task is handed to a worker that is
   * no longer listening. Idempotent.
   */
  shutdownWorker(
    ns: NamespaceRef,
    req: Msg<'ShutdownWorkerRequest'>,
    ctx: CallContext,
  ): Promise<Msg<'ShutdownWorkerResponse'>>;
  /**
   * Takes the longest-waiting workflow-task poll of a queue of this process (`sticky`: the queue is a worker's sticky
   * queue and the poll must be of kind sticky; else of kind normal), synchronously, or undefined when none waits.
   * Only the matching role in history's own process offers it (a router to other hosts does not): history then
   * starts a workflow task in the transition that schedules it, with no outbox task, add or record…Started call.
   * The caller must end every reservation with `deliver` (after its commit) or `release`.
   */
  reserveWorkflowPoll?(
    ns: NamespaceRef,
    taskQueue: string,
    sticky: boolean,
  ): WorkflowPollReservation | undefined;
}

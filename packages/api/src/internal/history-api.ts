import type { temporal } from '@temporalio/proto';
import type { CallContext, NamespaceRef } from './context.js';

type WS = typeof temporal.api.workflowservice.v1;
type Req<K extends keyof WS> = WS[K] extends { create(p?: infer P): unknown } ? NonNullable<P> : never;
type Res<K extends keyof WS> = Req<K>;

export interface RecordWorkflowTaskStartedRequest {
  readonly workflowId: string;
  readonly runId: string;
  readonly scheduledEventId: number;
  /** The poll's request id: recording the same start twice returns the same response. */
  readonly requestId: string;
  readonly pollRequest: Req<'PollWorkflowTaskQueueRequest'>;
}

export interface RecordActivityTaskStartedRequest {
  readonly workflowId: string;
  readonly runId: string;
  readonly scheduledEventId: number;
  readonly requestId: string;
  readonly pollRequest: Req<'PollActivityTaskQueueRequest'>;
}

/**
 * The history role as the frontend and matching see it: in-process in dev mode, over gRPC in a cluster.
 * Requests are Temporal's own messages; the namespace comes resolved. Failures are `ServiceError`s.
 * `recordWorkflowTaskStarted` / `recordActivityTaskStarted` throw NOT_FOUND when the task is stale
 * (already started by another request, completed, or the run closed) so matching drops it.
 */
export interface HistoryApi {
  /**
   * True only when history copies `RespondWorkflowTaskCompletedRequest.sdk_metadata` into
   * `WorkflowTaskCompletedEventAttributes.sdk_metadata`. The frontend advertises the `sdk_metadata` capability from
   * this flag (advertising it without recording it breaks the SDK's replay). Absent = false.
   */
  readonly recordsSdkMetadata?: boolean;
  startWorkflowExecution(
    ns: NamespaceRef,
    req: Req<'StartWorkflowExecutionRequest'>,
    ctx: CallContext,
  ): Promise<Res<'StartWorkflowExecutionResponse'>>;
  signalWithStartWorkflowExecution(
    ns: NamespaceRef,
    req: Req<'SignalWithStartWorkflowExecutionRequest'>,
    ctx: CallContext,
  ): Promise<Res<'SignalWithStartWorkflowExecutionResponse'>>;
  signalWorkflowExecution(
    ns: NamespaceRef,
    req: Req<'SignalWorkflowExecutionRequest'>,
    ctx: CallContext,
  ): Promise<Res<'SignalWorkflowExecutionResponse'>>;
  requestCancelWorkflowExecution(
    ns: NamespaceRef,
    req: Req<'RequestCancelWorkflowExecutionRequest'>,
    ctx: CallContext,
  ): Promise<Res<'RequestCancelWorkflowExecutionResponse'>>;
  terminateWorkflowExecution(
    ns: NamespaceRef,
    req: Req<'TerminateWorkflowExecutionRequest'>,
    ctx: CallContext,
  ): Promise<Res<'TerminateWorkflowExecutionResponse'>>;
  describeWorkflowExecution(
    ns: NamespaceRef,
    req: Req<'DescribeWorkflowExecutionRequest'>,
    ctx: CallContext,
  ): Promise<Res<'DescribeWorkflowExecutionResponse'>>;
  /** Honours `wait_new_event` as a long poll bounded by ctx.deadline / ctx.signal. */
  getWorkflowExecutionHistory(
    ns: NamespaceRef,
    req: Req<'GetWorkflowExecutionHistoryRequest'>,
    ctx: CallContext,
  ): Promise<Res<'GetWorkflowExecutionHistoryResponse'>>;
  queryWorkflow(
    ns: NamespaceRef,
    req: Req<'QueryWorkflowRequest'>,
    ctx: CallContext,
  ): Promise<Res<'QueryWorkflowResponse'>>;
  /**
   * Workflow Update: admits the update (deduplicated by its id) and waits as `wait_policy` asks, bounded by the
   * server's long-poll interval (the stage reached is answered then) and by ctx.deadline (DEADLINE_EXCEEDED).
   */
  updateWorkflowExecution(
    ns: NamespaceRef,
    req: Req<'UpdateWorkflowExecutionRequest'>,
    ctx: CallContext,
  ): Promise<Res<'UpdateWorkflowExecutionResponse'>>;
  /** Waits for an update known by its id, bounded like updateWorkflowExecution; NOT_FOUND for an unknown id. */
  pollWorkflowExecutionUpdate(
    ns: NamespaceRef,
    req: Req<'PollWorkflowExecutionUpdateRequest'>,
    ctx: CallContext,
  ): Promise<Res<'PollWorkflowExecutionUpdateResponse'>>;
  /**
   * Update-with-start: operations are exactly [start, update] of one workflow. Failures carry a
   * MultiOperationExecutionFailure detail with one status per operation.
   */
  executeMultiOperation(
    ns: NamespaceRef,
    req: Req<'ExecuteMultiOperationRequest'>,
    ctx: CallContext,
  ): Promise<Res<'ExecuteMultiOperationResponse'>>;
  recordWorkflowTaskStarted(
    ns: NamespaceRef,
    req: RecordWorkflowTaskStartedRequest,
    ctx: CallContext,
  ): Promise<Res<'PollWorkflowTaskQueueResponse'>>;
  recordActivityTaskStarted(
    ns: NamespaceRef,
    req: RecordActivityTaskStartedRequest,
    ctx: CallContext,
  ): Promise<Res<'PollActivityTaskQueueResponse'>>;
  respondWorkflowTaskCompleted(
    ns: NamespaceRef,
    req: Req<'RespondWorkflowTaskCompletedRequest'>,
    ctx: CallContext,
  ): Promise<Res<'RespondWorkflowTaskCompletedResponse'>>;
  respondWorkflowTaskFailed(
    ns: NamespaceRef,
    req: Req<'RespondWorkflowTaskFailedRequest'>,
    ctx: CallContext,
  ): Promise<Res<'RespondWorkflowTaskFailedResponse'>>;
  recordActivityTaskHeartbeat(
    ns: NamespaceRef,
    req: Req<'RecordActivityTaskHeartbeatRequest'>,
    ctx: CallContext,
  ): Promise<Res<'RecordActivityTaskHeartbeatResponse'>>;
  recordActivityTaskHeartbeatById(
    ns: NamespaceRef,
    req: Req<'RecordActivityTaskHeartbeatByIdRequest'>,
    ctx: CallContext,
  ): Promise<Res<'RecordActivityTaskHeartbeatByIdResponse'>>;
  respondActivityTaskCompleted(
    ns: NamespaceRef,
    req: Req<'RespondActivityTaskCompletedRequest'>,
    ctx: CallContext,
  ): Promise<Res<'RespondActivityTaskCompletedResponse'>>;
  respondActivityTaskCompletedById(
    ns: NamespaceRef,
    req: Req<'RespondActivityTaskCompletedByIdRequest'>,
    ctx: CallContext,
  ): Promise<Res<'RespondActivityTaskCompletedByIdResponse'>>;
  respondActivityTaskFailed(
    ns: NamespaceRef,
    req: Req<'RespondActivityTaskFailedRequest'>,
    ctx: CallContext,
  ): Promise<Res<'RespondActivityTaskFailedResponse'>>;
  respondActivityTaskFailedById(
    ns: NamespaceRef,
    req: Req<'RespondActivityTaskFailedByIdRequest'>,
    ctx: CallContext,
  ): Promise<Res<'RespondActivityTaskFailedByIdResponse'>>;
  respondActivityTaskCanceled(
    ns: NamespaceRef,
    req: Req<'RespondActivityTaskCanceledRequest'>,
    ctx: CallContext,
  ): Promise<Res<'RespondActivityTaskCanceledResponse'>>;
  respondActivityTaskCanceledById(
    ns: NamespaceRef,
    req: Req<'RespondActivityTaskCanceledByIdRequest'>,
    ctx: CallContext,
  ): Promise<Res<'RespondActivityTaskCanceledByIdResponse'>>;
  /**
   * A new run from the base run's history up to a workflow task, the signals after it reapplied; the current run,
   * if running, is terminated. Answers the new run's id.
   */
  resetWorkflowExecution(
    ns: NamespaceRef,
    req: Req<'ResetWorkflowExecutionRequest'>,
    ctx: CallContext,
  ): Promise<Res<'ResetWorkflowExecutionResponse'>>;
  /**
   * Deletes a run (history, state, visibility); a running one is terminated first and deleted shortly after.
   * NOT_FOUND when there is no such run.
   */
  deleteWorkflowExecution(
    ns: NamespaceRef,
    req: Req<'DeleteWorkflowExecutionRequest'>,
    ctx: CallContext,
  ): Promise<Res<'DeleteWorkflowExecutionResponse'>>;
  /** The run's events from the last to the first, paged; the first call pins the last event. */
  getWorkflowExecutionHistoryReverse(
    ns: NamespaceRef,
    req: Req<'GetWorkflowExecutionHistoryReverseRequest'>,
    ctx: CallContext,
  ): Promise<Res<'GetWorkflowExecutionHistoryReverseResponse'>>;
  /**
   * Forgets the worker that holds the run in its cache: the next workflow task goes to the normal queue with the
   * full history. NOT_FOUND when the run is closed.
   */
  resetStickyTaskQueue(
    ns: NamespaceRef,
    req: Req<'ResetStickyTaskQueueRequest'>,
    ctx: CallContext,
  ): Promise<Res<'ResetStickyTaskQueueResponse'>>;
}

export type { Req as WorkflowServiceRequest, Res as WorkflowServiceResponse };

type HistoryEventAttributes<K extends keyof temporal.api.history.v1.IHistoryEvent> = NonNullable<
  temporal.api.history.v1.IHistoryEvent[K]
>;

/** The parent run a child is started for. */
export interface ParentExecutionRef {
  readonly namespaceId: string;
  readonly namespace: string;
  readonly workflowId: string;
  readonly runId: string;
  readonly initiatedEventId: number;
  /** The top of the parent's chain, which the child shares (its RootWorkflowId / RootRunId). */
  readonly rootWorkflowId?: string;
  readonly rootRunId?: string;
}

export interface StartChildExecutionRequest {
  readonly parent: ParentExecutionRef;
  /** Deterministic per (parent run, initiated event), so a re-run of the parent's task finds the child it created. */
  readonly requestId: string;
  readonly attributes: HistoryEventAttributes<'startChildWorkflowExecutionInitiatedEventAttributes'>;
}

export interface RecordChildExecutionCompletedRequest {
  readonly parentWorkflowId: string;
  readonly parentRunId: string;
  readonly initiatedEventId: number;
  readonly childRunId: string;
  /** The child's close event (WorkflowExecutionCompleted / Failed / Canceled / TimedOut / Terminated / …). */
  readonly completionEvent: temporal.api.history.v1.IHistoryEvent;
}

export interface ApplyParentClosePolicyRequest {
  readonly workflowId: string;
  readonly runId: string;
  /** The closed parent: the policy applies only while the child still names it as its parent. */
  readonly parentRunId: string;
  /** Temporal's ParentClosePolicy (TERMINATE or REQUEST_CANCEL; ABANDON never reaches history). */
  readonly policy: number;
}

export interface DeliverExternalRequest {
  readonly kind: 'signal' | 'cancel';
  readonly targetWorkflowId: string;
  /** Empty = the target's current run. */
  readonly targetRunId: string;
  readonly sourceWorkflowId: string;
  readonly sourceRunId: string;
  readonly initiatedEventId: number;
  readonly childWorkflowOnly: boolean;
  /** kind 'signal'. */
  readonly signalName?: string;
  readonly input?: temporal.api.common.v1.IPayloads | null;
  readonly header?: temporal.api.common.v1.IHeader | null;
  /** kind 'cancel'. */
  readonly reason?: string;
}

/**
 * What one history host asks of the host that owns ANOTHER workflow's shard: the target side of child workflows,
 * parent-close policies and external signals / cancels. In one process the history service answers itself; in a
 * cluster the call is routed to the target shard's owner. Target-not-found (or closed) is NOT_FOUND; a child id
 * already in use is ALREADY_EXISTS. Every call is idempotent (request ids, flags), so outbox re-runs are safe.
 */
export interface HistoryPeerApi {
  startChildExecution(
    ns: NamespaceRef,
    req: StartChildExecutionRequest,
    ctx: CallContext,
  ): Promise<{ readonly runId: string }>;
  recordChildExecutionCompleted(
    ns: NamespaceRef,
    req: RecordChildExecutionCompletedRequest,
    ctx: CallContext,
  ): Promise<void>;
  applyParentClosePolicy(
    ns: NamespaceRef,
    req: ApplyParentClosePolicyRequest,
    ctx: CallContext,
  ): Promise<void>;
  deliverExternal(ns: NamespaceRef, req: DeliverExternalRequest, ctx: CallContext): Promise<void>;
}

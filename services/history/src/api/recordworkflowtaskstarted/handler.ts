import { encodeTaskToken, msToTimestamp, ServiceError, temporal } from '@odin/api';
import type { CallContext, NamespaceRef, RecordWorkflowTaskStartedRequest } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import type { CachedRun } from '../../cache.js';
import type { HistoryEngine } from '../../engine.js';
import { isRunning } from '../../state/mutable-state.js';
import type { MutableState, WorkflowTaskInfo } from '../../state/mutable-state.js';
import { clearStickiness, startWorkflowTask, transientEvents } from '../../state/workflow-task.js';
import { encodePageToken } from '../getworkflowexecutionhistory/page-token.js';
import type { Res } from '../types.js';
import { asProto } from '../../util/proto.js';
import type { HistoryEvent } from '../../util/codec.js';

type PollResponse = Res<'PollWorkflowTaskQueueResponse'>;

const STICKY_KIND = temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY;

/**
 * A poll matched a workflow task: record WorkflowTaskStarted (idempotent by the poll's request id; any other
 * request for a started, stale or finished task gets NOT_FOUND so matching drops it) and build the poll response.
 */
export async function recordWorkflowTaskStarted(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: RecordWorkflowTaskStartedRequest,
  _ctx: CallContext,
): Promise<PollResponse> {
  engine.rememberNamespace(ns);
  const snap = await engine.update(ns.id, req.workflowId, req.runId, (mut, run) => {
    const ms = mut.ms;
    if (!isRunning(ms))
      throw ServiceError.notFound('Workflow task not found: the workflow execution is closed.');
    const wft = ms.workflowTask;
    if (!wft || wft.scheduledEventId !== req.scheduledEventId) {
      throw ServiceError.notFound('Workflow task not found.');
    }
    if (wft.startedEventId > 0 && wft.requestId !== req.requestId) {
      throw ServiceError.notFound('Workflow task already started.');
    }
    const pollQueue = req.pollRequest.taskQueue;
    const stickyPoll = pollQueue?.kind === STICKY_KIND;
    // A sticky queue only serves the task scheduled on it (stickiness may have moved on since the add).
    if (stickyPoll && (!wft.sticky || wft.taskQueue !== pollQueue?.name)) {
      throw ServiceError.notFound('Workflow task not found on this sticky task queue.');
    }
    // A worker of the normal queue took the run: any previous worker's cache is out of date from now on.
    if (!stickyPoll) clearStickiness(mut);
    if (wft.startedEventId === 0) startWorkflowTask(mut, req.requestId, req.pollRequest.identity ?? '');
    const queries = engine.queries.attachToWorkflowTask(ms);
    return { run, ms, wft: { ...ms.workflowTask! }, queries, stickyPoll };
  });
  // A sticky poller has the run cached up to the previous started event: it gets only what came after.
  const firstEventId = snap.stickyPoll ? snap.ms.lastCompletedStartedEventId + 1 : 1;
  if (firstEventId === 1) engine.metrics.replayed(ns.id, snap.ms.workflowType);
  return buildWorkflowTaskResponse(engine, snap.run, snap.ms, snap.wft, snap.queries, firstEventId);
}

export async function buildWorkflowTaskResponse(
  engine: HistoryEngine,
  run: CachedRun,
  ms: MutableState,
  wft: WorkflowTaskInfo,
  queries: Record<string, T.api.query.v1.IWorkflowQuery>,
  requestedFirstEventId = 1,
): Promise<PollResponse> {
  const persistedEnd = wft.transient ? wft.scheduledEventId : wft.startedEventId + 1;
  const pageSize = engine.options.historyPageSize;
  // Partial history is one page at most; a longer gap gets the whole history, which a cached worker also accepts.
  const firstEventId =
    requestedFirstEventId > 1 && persistedEnd - requestedFirstEventId <= pageSize ? requestedFirstEventId : 1;
  let nextPageToken: Uint8Array | undefined;
  let events: HistoryEvent[];
  if (firstEventId > 1) {
    events = await engine.readEvents(run, firstEventId, persistedEnd);
    events.push(...transientEvents(ms));
  } else if (persistedEnd - 1 <= pageSize) {
    events = await engine.readEvents(run, 1, persistedEnd);
    events.push(...transientEvents(ms));
  } else {
    events = await engine.readEvents(run, 1, pageSize + 1);
    nextPageToken = encodePageToken({
      runId: ms.runId,
      next: pageSize + 1,
      end: persistedEnd,
      ...(wft.transient
        ? { transient: { scheduledEventId: wft.scheduledEventId, attempt: wft.attempt } }
        : {}),
    });
  }
  return asProto<PollResponse>({
    taskToken: encodeTaskToken({
      kind: 'workflow',
      namespaceId: ms.namespaceId,
      workflowId: ms.workflowId,
      runId: ms.runId,
      scheduledEventId: wft.scheduledEventId,
      startedEventId: wft.startedEventId,
      attempt: wft.attempt,
    }),
    workflowExecution: { workflowId: ms.workflowId, runId: ms.runId },
    workflowType: { name: ms.workflowType },
    previousStartedEventId: ms.lastCompletedStartedEventId,
    startedEventId: wft.startedEventId,
    attempt: wft.attempt,
    backlogCountHint: 0,
    history: { events },
    nextPageToken: nextPageToken ?? new Uint8Array(),
    workflowExecutionTaskQueue: {
      name: ms.taskQueue,
      kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL,
    },
    scheduledTime: msToTimestamp(wft.scheduledTime),
    startedTime: msToTimestamp(wft.startedTime),
    queries,
    messages: [],
  });
}

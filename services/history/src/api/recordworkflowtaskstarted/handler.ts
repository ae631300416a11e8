import { ServiceError, temporal } from '@odin/api';
import type {
  CallContext,
  NamespaceRef,
  RecordWorkflowTaskStartedRequest,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { isRunning } from '../../state/mutable-state.js';
import { workflowTaskResponse } from '../../state/poll-responses.js';
import { historyPaging } from '../../context.js';
import { clearStickiness, startWorkflowTask } from '../../state/workflow-task.js';

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
): Promise<Res<'PollWorkflowTaskQueueResponse'>> {
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
    if (wft.startedEventId === 0)
      startWorkflowTask(mut, req.requestId, req.pollRequest.identity ?? '', engine.options.historyLimits);
    const queries = engine.queries.attachToWorkflowTask(ms);
    const messages = engine.updates.deliver(mut, ms.workflowTask!.startedEventId);
    return { run, ms, wft: { ...ms.workflowTask! }, queries, messages, stickyPoll };
  });
  // A sticky poller has the run cached up to the previous started event: it gets only what came after.
  const firstEventId = snap.stickyPoll ? snap.ms.lastCompletedStartedEventId + 1 : 1;
  if (firstEventId === 1) engine.metrics.replayed(ns.id, snap.ms.workflowType);
  return workflowTaskResponse(
    (from, to) => engine.readEvents(snap.run, from, to),
    historyPaging(engine.options),
    snap.ms,
    snap.wft,
    snap.queries,
    firstEventId,
    snap.messages,
  );
}

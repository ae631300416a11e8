import { ServiceError } from '@odin/api';
import type {
  CallContext,
  NamespaceRef,
  RecordWorkflowTaskStartedRequest,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { isRunning } from '../../state/mutable-state.js';
import { startedWorkflowTaskResponse, startWorkflowTaskForPoll } from '../../workflow-task-start.js';

/**
 * A poll matched a workflow task: record WorkflowTaskStarted (idempotent by the poll's request id; any other
 * request for a started, stale or finished task gets NOT_FOUND so matching drops it) and build the poll response.
 * A task history handed to a waiting poll in the transition that scheduled it (workflow-task-handoff.ts) starts the
 * same way, without this call.
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
    return { run, started: startWorkflowTaskForPoll(engine, mut, req.requestId, req.pollRequest) };
  });
  return startedWorkflowTaskResponse(engine, snap.run, snap.started);
}

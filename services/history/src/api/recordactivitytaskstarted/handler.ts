import { ServiceError } from '@odin/api';
import type {
  CallContext,
  NamespaceRef,
  RecordActivityTaskStartedRequest,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { startActivityAttempt } from '../../state/activity-transitions.js';
import { isRunning } from '../../state/mutable-state.js';
import { activityTaskResponse } from '../../state/poll-responses.js';

/**
 * A poll matched an activity task. ActivityTaskStarted is not written now (it goes in with the close event); the
 * attempt is marked started in mutable state and its start-to-close / heartbeat timeouts are armed. Idempotent by
 * the poll's request id; stale tasks (retried, cancelled, closed, waiting for backoff) get NOT_FOUND.
 */
export async function recordActivityTaskStarted(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: RecordActivityTaskStartedRequest,
  _ctx: CallContext,
): Promise<Res<'PollActivityTaskQueueResponse'>> {
  const snap = await engine.update(ns.id, req.workflowId, req.runId, (mut) => {
    const ms = mut.ms;
    if (!isRunning(ms))
      throw ServiceError.notFound('Activity task not found: the workflow execution is closed.');
    const ai = ms.activities[String(req.scheduledEventId)];
    if (!ai || ai.phase === 'backoff') throw ServiceError.notFound('Activity task not found.');
    if (ai.phase === 'started') {
      if (ai.startedRequestId !== req.requestId)
        throw ServiceError.notFound('Activity task already started.');
      return { ms, ai: { ...ai } };
    }
    startActivityAttempt(mut, ai, req.requestId, req.pollRequest.identity ?? '');
    return { ms, ai: { ...ai } };
  });
  return activityTaskResponse(ns, snap.ms, snap.ai);
}

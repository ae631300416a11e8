import { encodeTaskToken, msToDuration, msToTimestamp, ServiceError, temporal } from '@odin/api';
import type { CallContext, NamespaceRef, RecordActivityTaskStartedRequest } from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import type { Mutation } from '../../state/history-builder.js';
import { isRunning } from '../../state/mutable-state.js';
import type { ActivityInfo, MutableState } from '../../state/mutable-state.js';
import { decodePayloads, fromBase64 } from '../../util/codec.js';
import type { Res } from '../types.js';
import { asProto } from '../../util/proto.js';

const TimeoutType = temporal.api.enums.v1.TimeoutType;

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
  engine.rememberNamespace(ns);
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
  return activityPollResponse(ns, snap.ms, snap.ai);
}

/**
 * Marks the attempt started by `identity` (a poll, or the worker that completed the workflow task that scheduled it
 * eagerly) and arms its start-to-close and heartbeat timeouts.
 */
export function startActivityAttempt(
  mut: Mutation,
  ai: ActivityInfo,
  requestId: string,
  identity: string,
): void {
  ai.phase = 'started';
  ai.startedTime = mut.now;
  ai.startedRequestId = requestId;
  ai.startedIdentity = identity;
  ai.lastWorkerIdentity = identity;
  mut.dirty = true;
  mut.addTimerTask('activity-timeout', mut.now + ai.startToCloseMs, {
    scheduledEventId: ai.scheduledEventId,
    timeoutType: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE,
    attempt: ai.attempt,
  });
  if (ai.heartbeatMs > 0 && ai.heartbeatMs < ai.startToCloseMs) {
    mut.addTimerTask('activity-timeout', mut.now + ai.heartbeatMs, {
      scheduledEventId: ai.scheduledEventId,
      timeoutType: TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
      attempt: ai.attempt,
    });
  }
}

export function activityPollResponse(
  ns: NamespaceRef,
  ms: MutableState,
  ai: ActivityInfo,
): Res<'PollActivityTaskQueueResponse'> {
  const scheduled = temporal.api.history.v1.ActivityTaskScheduledEventAttributes.decode(
    fromBase64(ai.scheduledAttributes),
  );
  return asProto<Res<'PollActivityTaskQueueResponse'>>({
    taskToken: encodeTaskToken({
      kind: 'activity',
      namespaceId: ms.namespaceId,
      workflowId: ms.workflowId,
      runId: ms.runId,
      scheduledEventId: ai.scheduledEventId,
      activityId: ai.activityId,
      attempt: ai.attempt,
    }),
    workflowNamespace: ns.name,
    workflowType: { name: ms.workflowType },
    workflowExecution: { workflowId: ms.workflowId, runId: ms.runId },
    activityType: { name: ai.activityType },
    activityId: ai.activityId,
    header: scheduled.header,
    input: scheduled.input,
    heartbeatDetails: decodePayloads(ai.heartbeatDetails) ?? null,
    scheduledTime: msToTimestamp(ai.scheduledTime),
    currentAttemptScheduledTime: msToTimestamp(ai.currentAttemptScheduledTime),
    startedTime: msToTimestamp(ai.startedTime),
    attempt: ai.attempt,
    scheduleToCloseTimeout: msToDuration(ai.scheduleToCloseMs),
    startToCloseTimeout: msToDuration(ai.startToCloseMs),
    heartbeatTimeout: msToDuration(ai.heartbeatMs),
    retryPolicy: scheduled.retryPolicy,
    priority: scheduled.priority,
  });
}

import { encodeTaskToken, msToDuration, msToTimestamp, temporal } from '@odin/api';
import type { NamespaceRef, WorkflowServiceResponse as Res } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import { decodePayloads, encodedEventSize, fromBase64 } from '../util/codec.js';
import type { HistoryEvent } from '../util/codec.js';
import { asProto } from '../util/proto.js';
import type { ActivityInfo, MutableState, WorkflowTaskInfo } from './mutable-state.js';
import { encodePageToken } from './page-token.js';
import { type ContinueAsNewThresholds, transientEvents } from './workflow-task.js';

type WorkflowTaskResponse = Res<'PollWorkflowTaskQueueResponse'>;

/** Committed events [from, toExclusive) of the run a response is built for. */
export type EventReader = (from: number, toExclusive: number) => Promise<HistoryEvent[]>;

/** How a poll response's history is cut into pages. */
export interface ResponsePaging {
  /** Events per page at most. */
  readonly pageSize: number;
  /**
   * Encoded bytes of a page's events at most (one event is always sent): clients refuse gRPC messages over 4 MiB by
   * default, so a page of a few huge events goes out as several pages.
   */
  readonly pageBytes: number;
  /** Where WorkflowTaskStarted suggests continue-as-new (the transient one built here too). */
  readonly continueAsNew?: ContinueAsNewThresholds;
}

/** How many of `events` (at least one) fit in `maxBytes` of encoded events. */
export function eventsWithinBytes(events: readonly HistoryEvent[], maxBytes: number): number {
  let total = 0;
  for (let i = 0; i < events.length; i++) {
    total += encodedEventSize(events[i]!);
    if (total > maxBytes) return Math.max(1, i);
  }
  return events.length;
}

/**
 * The poll response of a started workflow task: a poll that matched it, or an eager workflow start. A sticky poller
 * asks for the events after the ones it has cached (`requestedFirstEventId`); that partial history is one page at
 * most, and a longer gap (in events or bytes) gets the whole history, which a cached worker also accepts.
 */
export async function workflowTaskResponse(
  readEvents: EventReader,
  paging: ResponsePaging,
  ms: MutableState,
  wft: WorkflowTaskInfo,
  queries: Record<string, T.api.query.v1.IWorkflowQuery>,
  requestedFirstEventId = 1,
  /** Protocol messages the task carries (update requests). */
  messages: T.api.protocol.v1.IMessage[] = [],
): Promise<WorkflowTaskResponse> {
  const { pageSize, pageBytes } = paging;
  const persistedEnd = wft.transient ? wft.scheduledEventId : wft.startedEventId + 1;
  const transient = () => transientEvents(ms, paging.continueAsNew);
  let nextPageToken: Uint8Array | undefined;
  let events: HistoryEvent[] | undefined;
  if (requestedFirstEventId > 1 && persistedEnd - requestedFirstEventId <= pageSize) {
    const partial = await readEvents(requestedFirstEventId, persistedEnd);
    if (eventsWithinBytes(partial, pageBytes) === partial.length) events = [...partial, ...transient()];
  }
  if (!events) {
    const upTo = Math.min(persistedEnd, pageSize + 1);
    const first = await readEvents(1, upTo);
    const kept = eventsWithinBytes(first, pageBytes);
    if (upTo === persistedEnd && kept === first.length) {
      events = [...first, ...transient()];
    } else {
      events = first.slice(0, kept);
      nextPageToken = encodePageToken({
        runId: ms.runId,
        next: kept + 1,
        end: persistedEnd,
        ...(wft.transient
          ? { transient: { scheduledEventId: wft.scheduledEventId, attempt: wft.attempt } }
          : {}),
      });
    }
  }
  return asProto<WorkflowTaskResponse>({
    taskToken: encodeTaskToken({
      kind: 'workflow',
      namespaceId: ms.namespaceId,
      workflowId: ms.workflowId,
      runId: ms.runId,
      scheduledEventId: wft.scheduledEventId,
      startedEventId: wft.startedEventId,
      attempt: wft.attempt,
      ...(wft.speculative ? { startRequestId: wft.requestId } : {}),
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
    messages,
  });
}

/** The poll response of a started activity attempt: a poll that matched it, or an eager start in a completion. */
export function activityTaskResponse(
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

import { toNumber } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import { EventType } from '../state/history-builder.js';
import { decodeEvent, fromBase64 } from '../util/codec.js';
import { Cause, CommandFailure } from './command-context.js';
import type { CommandContext } from './command-context.js';

const CLOSE_ATTRS = [
  'activityTaskCompletedEventAttributes',
  'activityTaskFailedEventAttributes',
  'activityTaskTimedOutEventAttributes',
  'activityTaskCanceledEventAttributes',
] as const;

/**
 * ActivityTaskCancelRequested. An activity no worker has started yet is cancelled at once (ActivityTaskCanceled and
 * a new workflow task); a started one learns it from its next heartbeat response.
 */
export function requestCancelActivity(
  ctx: CommandContext,
  attrs: T.api.command.v1.IRequestCancelActivityTaskCommandAttributes | null | undefined,
): void {
  const { mut } = ctx;
  const ms = mut.ms;
  const scheduledEventId = toNumber(attrs?.scheduledEventId);
  const ai = ms.activities[String(scheduledEventId)];
  if (!ai) {
    const closedInBuffer = ms.bufferedEvents.some((text) => {
      const ev = decodeEvent(fromBase64(text)) as Record<string, unknown>;
      return CLOSE_ATTRS.some(
        (k) =>
          toNumber((ev[k] as { scheduledEventId?: number } | null)?.scheduledEventId) === scheduledEventId,
      );
    });
    if (!closedInBuffer) {
      throw new CommandFailure(
        Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES,
        `Activity with scheduled event id ${scheduledEventId} is not pending.`,
      );
    }
  }
  const requested = mut.addEvent(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED, {
    activityTaskCancelRequestedEventAttributes: {
      scheduledEventId,
      workflowTaskCompletedEventId: ctx.completedEventId,
    },
  });
  if (!ai) return;
  if (ai.phase !== 'started') {
    mut.addEvent(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED, {
      activityTaskCanceledEventAttributes: {
        latestCancelRequestedEventId: Number(requested.eventId),
        scheduledEventId,
        startedEventId: 0,
        identity: ctx.identity,
      },
    });
    delete ms.activities[String(scheduledEventId)];
    ctx.needsWorkflowTask = true;
    return;
  }
  ai.cancelRequested = true;
  ai.cancelRequestedEventId = Number(requested.eventId);
}

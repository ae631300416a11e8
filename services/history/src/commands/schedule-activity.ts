import { msToDuration, temporal } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import { EventType } from '../state/history-builder.js';
import { normalizeActivityTimeouts, retryPolicyProto, retrySettings } from '../state/activity.js';
import { addScheduledActivity, dispatchActivityAttempt } from '../state/activity-transitions.js';
import { idLengthError } from '@odin/persistence';
import type { Loose } from '../util/proto.js';
import { Cause, CommandFailure } from './command-context.js';
import type { CommandContext } from './command-context.js';

export function scheduleActivity(
  ctx: CommandContext,
  attrs: T.api.command.v1.IScheduleActivityTaskCommandAttributes | null | undefined,
): void {
  const { mut } = ctx;
  const ms = mut.ms;
  const bad = (message: string) =>
    new CommandFailure(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, message);
  if (!attrs) throw bad('ScheduleActivityTaskCommandAttributes is not set.');
  if (!attrs.activityId) throw bad('ActivityId is not set.');
  const idProblem = idLengthError(attrs.activityId, 'ActivityId');
  if (idProblem) throw bad(idProblem);
  if (!attrs.activityType?.name) throw bad('ActivityType is not set.');
  for (const ai of Object.values(ms.activities)) {
    if (ai.activityId === attrs.activityId) {
      throw new CommandFailure(
        Cause.WORKFLOW_TASK_FAILED_CAUSE_SCHEDULE_ACTIVITY_DUPLICATE_ID,
        `Activity id ${attrs.activityId} is already in use by a pending activity.`,
      );
    }
  }
  const timeouts = normalizeActivityTimeouts(attrs, ms.runTimeoutMs);
  if (typeof timeouts === 'string') throw bad(timeouts);
  const taskQueue = attrs.taskQueue?.name || ms.taskQueue;
  const retry = retrySettings(attrs.retryPolicy);
  const scheduledAttributes: Loose<T.api.history.v1.IActivityTaskScheduledEventAttributes> = {
    activityId: attrs.activityId,
    activityType: attrs.activityType,
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    header: attrs.header ?? null,
    input: attrs.input ?? null,
    scheduleToCloseTimeout: msToDuration(timeouts.scheduleToCloseMs),
    scheduleToStartTimeout: msToDuration(timeouts.scheduleToStartMs),
    startToCloseTimeout: msToDuration(timeouts.startToCloseMs),
    heartbeatTimeout: msToDuration(timeouts.heartbeatMs),
    workflowTaskCompletedEventId: ctx.completedEventId,
    retryPolicy: retryPolicyProto(retry),
    useWorkflowBuildId: attrs.useWorkflowBuildId ?? false,
    priority: attrs.priority ?? null,
  };
  const event = mut.addEvent(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED, {
    activityTaskScheduledEventAttributes: scheduledAttributes,
  });
  const scheduledEventId = Number(event.eventId);
  addScheduledActivity(
    mut,
    { scheduledEventId, attributes: scheduledAttributes, taskQueue, timeouts, retry },
    (ai) => {
      // The completing worker polls the workflow's own task queue, so only an activity bound for that queue can be
      // handed back to it; the completion handler starts it once every command is applied.
      if (ctx.eagerActivities && attrs.requestEagerExecution && taskQueue === ms.taskQueue)
        ctx.eagerActivities.push(scheduledEventId);
      else dispatchActivityAttempt(mut, ai);
    },
  );
}

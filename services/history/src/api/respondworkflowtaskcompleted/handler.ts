import { durationToMs, ServiceError, temporal } from '@odin/api';
import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import { status } from '@grpc/grpc-js';
import { applyCommands, isTerminalCommand } from '../../commands/index.js';
import { Cause, CommandFailure } from '../../commands/command-context.js';
import type { CommandContext } from '../../commands/command-context.js';
import { checkCommandSearchAttributes } from '../../commands/search-attributes.js';
import type { HistoryEngine } from '../../engine.js';
import { startActivityAttempt } from '../../state/activity-transitions.js';
import { EventType } from '../../state/history-builder.js';
import type { Mutation } from '../../state/history-builder.js';
import type { ActivityInfo, MutableState } from '../../state/mutable-state.js';
import { activityTaskResponse } from '../../state/poll-responses.js';
import { currentWorkflowTask, workflowToken } from '../../state/task-tokens.js';
import {
  clearStickiness,
  DEFAULT_STICKY_SCHEDULE_TO_START_MS,
  failWorkflowTask,
  materializeTransient,
  scheduleWorkflowTask,
} from '../../state/workflow-task.js';

const CommandType = temporal.api.enums.v1.CommandType;

export async function respondWorkflowTaskCompleted(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'RespondWorkflowTaskCompletedRequest'>,
  _ctx: CallContext,
): Promise<Res<'RespondWorkflowTaskCompletedResponse'>> {
  const token = workflowToken(ns, req.taskToken);
  const identity = req.identity ?? '';
  const searchAttributes = await checkCommandSearchAttributes(
    engine.searchAttributes,
    ns.id,
    req.commands ?? [],
  );
  const outcome = await engine.update(ns.id, token.workflowId, token.runId, async (mut, run, discard) => {
    const wft = currentWorkflowTask(mut, token);
    engine.queries.answer(mut.ms, req.queryResults ?? {});
    const commands = req.commands ?? [];
    if (mut.ms.bufferedEvents.length > 0 && commands.some(isTerminalCommand)) {
      // The workflow decided to close without seeing events that arrived meanwhile: it must run again.
      failWorkflowTask(
        mut,
        {
          kind: 'failed',
          cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
          identity,
          binaryChecksum: req.binaryChecksum ?? '',
        },
        { resetAttempt: true },
      );
      return { unhandled: true };
    }
    materializeTransient(mut);
    const completed = mut.addEvent(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
      workflowTaskCompletedEventAttributes: {
        scheduledEventId: wft.scheduledEventId,
        startedEventId: wft.startedEventId,
        identity,
        binaryChecksum: req.binaryChecksum ?? '',
        workerVersion: req.workerVersionStamp ?? null,
        sdkMetadata: req.sdkMetadata ?? null,
        meteringMetadata: req.meteringMetadata ?? null,
      },
    });
    const ms = mut.ms;
    ms.workflowTask = undefined;
    ms.workflowTaskAttempt = 1;
    ms.lastCompletedStartedEventId = wft.startedEventId;
    recordStickiness(mut, req.stickyAttributes);
    // A closing workflow with a retry policy or cron schedule starts its next run from this run's start attributes.
    const started =
      (ms.retryPolicy || ms.cronSchedule) &&
      commands.some(
        (c) =>
          c.commandType === CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION ||
          c.commandType === CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
      )
        ? (await engine.readEvents(run, 1, 2))[0]?.workflowExecutionStartedEventAttributes
        : undefined;
    const ctx: CommandContext = {
      mut,
      namespace: ns.name,
      completedEventId: Number(completed.eventId),
      identity,
      needsWorkflowTask: false,
      searchAttributes,
      started,
      ...(engine.options.eagerActivityExecution ? { eagerActivities: [] } : {}),
    };
    try {
      applyCommands(ctx, commands);
    } catch (error) {
      if (!(error instanceof CommandFailure)) throw error;
      // Nothing of a refused completion is kept: its working copy is dropped whole (the committed state was never
      // touched), and the task fails on a fresh copy of the committed state.
      failWorkflowTask(discard(), {
        kind: 'failed',
        cause: error.failedCause,
        failure: { message: error.message, source: 'Odin', serverFailureInfo: { nonRetryable: true } },
        identity,
        binaryChecksum: req.binaryChecksum ?? '',
      });
      return { unhandled: false };
    }
    if (mut.closed) return { unhandled: false };
    const flushed = mut.flushBuffered();
    if (flushed > 0 || req.forceCreateNewWorkflowTask || ctx.needsWorkflowTask) scheduleWorkflowTask(mut);
    return {
      unhandled: false,
      eager: startEagerActivities(mut, ctx.eagerActivities ?? [], identity),
    };
  });
  if (outcome.unhandled) throw new ServiceError(status.INVALID_ARGUMENT, 'UnhandledCommand');
  if (!outcome.eager?.activities.length) return {};
  const { ms, activities } = outcome.eager;
  return { activityTasks: activities.map((ai) => activityTaskResponse(ns, ms, ai)) };
}

/**
 * Starts, in this same transition, the activities the completing worker asked to run itself; it gets them in the
 * response instead of polling for them (no matching round trip, no separate started transition). One cancelled by
 * a later command of the same completion is gone by now and is skipped.
 */
function startEagerActivities(
  mut: Mutation,
  scheduledEventIds: number[],
  identity: string,
): { ms: MutableState; activities: ActivityInfo[] } | undefined {
  const activities: ActivityInfo[] = [];
  for (const id of scheduledEventIds) {
    const ai = mut.ms.activities[String(id)];
    if (ai?.phase !== 'scheduled') continue;
    startActivityAttempt(mut, ai, mut.uuid(), identity);
    activities.push({ ...ai });
  }
  return activities.length > 0 ? { ms: mut.ms, activities } : undefined;
}

/** The completing worker keeps the run cached and polls its own sticky queue; no attributes = not sticky. */
function recordStickiness(
  mut: Mutation,
  attrs: Req<'RespondWorkflowTaskCompletedRequest'>['stickyAttributes'],
): void {
  const queue = attrs?.workerTaskQueue?.name;
  if (!queue) {
    clearStickiness(mut);
    return;
  }
  const timeoutMs = durationToMs(attrs?.scheduleToStartTimeout) ?? 0;
  mut.ms.stickyTaskQueue = queue;
  mut.ms.stickyScheduleToStartMs = timeoutMs > 0 ? timeoutMs : DEFAULT_STICKY_SCHEDULE_TO_START_MS;
  mut.dirty = true;
}

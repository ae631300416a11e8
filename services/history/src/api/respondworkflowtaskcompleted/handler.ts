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
import { oversizedCommand } from '../../commands/payload-limits.js';
import { checkCommandSearchAttributes } from '../../commands/search-attributes.js';
import type { HistoryEngine } from '../../engine.js';
import { startActivityAttempt } from '../../state/activity-transitions.js';
import { EventType } from '../../state/history-builder.js';
import type { Mutation } from '../../state/history-builder.js';
import type { ActivityInfo, MutableState, WorkflowTaskInfo } from '../../state/mutable-state.js';
import { activityTaskResponse } from '../../state/poll-responses.js';
import { currentWorkflowTask, workflowToken } from '../../state/task-tokens.js';
import { terminateForFailedWorkflowTask } from '../../state/terminate.js';
import { onlyRejections } from '../../state/updates.js';
import type { ProtocolMessage } from '../../state/updates.js';
import {
  clearStickiness,
  DEFAULT_STICKY_SCHEDULE_TO_START_MS,
  failWorkflowTask,
  materializeTransient,
  scheduleWorkflowTask,
} from '../../state/workflow-task.js';
import type { UpdateCompletion } from '../../updates.js';
import { asProto } from '../../util/proto.js';

const CommandType = temporal.api.enums.v1.CommandType;

/**
 * Events a dropped speculative task may have shown its worker besides its own (Temporal's
 * `history.discardSpeculativeWorkflowTaskMaximumEventsCount`): a worker that declares it can see them again gets
 * them again with the next task; past this many, the task is written instead, so rejected updates do not make the
 * server ship the same long tail over and over.
 */
const DISCARD_SPECULATIVE_MAX_EVENTS = 10;

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
  const oversized = oversizedCommand(req.commands ?? [], engine.options.historyLimits, (commandType, size) =>
    engine.logger.warn(
      { namespace: ns.name, workflowId: token.workflowId, runId: token.runId, commandType, size },
      'command payload exceeds the blob size warn limit',
    ),
  );
  const outcome = await engine.update(ns.id, token.workflowId, token.runId, async (mut, run, discard) => {
    const wft = currentWorkflowTask(mut, token);
    if (oversized) {
      // Nothing of the completion is kept; the run ends rather than retrying a completion that can never fit.
      terminateForFailedWorkflowTask(
        discard(),
        oversized.cause,
        oversized.reason,
        identity,
        req.binaryChecksum ?? '',
      );
      return { unhandled: false, oversized: oversized.reason };
    }
    engine.queries.answer(mut.ms, req.queryResults ?? {}, engine.options.historyLimits.blobError);
    const commands = req.commands ?? [];
    const messages = req.messages ?? [];
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
      engine.updates.workflowTaskFailed(mut);
      return { unhandled: true };
    }
    if (speculativeTaskDroppable(mut.ms, wft, req)) {
      try {
        dropSpeculativeTask(mut, engine.updates.completion(mut), messages, req);
      } catch (error) {
        if (!(error instanceof CommandFailure)) throw error;
        failRefusedCompletion(engine, discard(), error, identity, req);
        return { unhandled: false };
      }
      if (engine.updates.hasUndelivered(mut.ms)) scheduleWorkflowTask(mut, { speculative: true });
      return { unhandled: false, resetHistoryEventId: mut.ms.lastCompletedStartedEventId };
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
    const updates = engine.updates.completion(mut);
    const unplaced = new Map(messages.map((m) => [m.id ?? '', m]));
    const ctx: CommandContext = {
      mut,
      namespace: ns.name,
      completedEventId: Number(completed.eventId),
      identity,
      needsWorkflowTask: false,
      searchAttributes,
      started,
      ...(engine.options.eagerActivityExecution ? { eagerActivities: [] } : {}),
      protocolMessage: (messageId) => {
        const message = unplaced.get(messageId);
        if (!message) return false;
        unplaced.delete(messageId);
        applyUpdateMessage(updates, message);
        return true;
      },
    };
    try {
      applyCommands(ctx, commands);
      // Messages no PROTOCOL_MESSAGE command placed (rejections, which write nothing) follow the commands, in order.
      for (const message of unplaced.values()) applyUpdateMessage(updates, message);
      updates.finish({ force: req.forceCreateNewWorkflowTask === true });
    } catch (error) {
      if (!(error instanceof CommandFailure)) throw error;
      // Nothing of a refused completion is kept: its working copy is dropped whole (the committed state was never
      // touched), and the task fails on a fresh copy of the committed state.
      failRefusedCompletion(engine, discard(), error, identity, req);
      return { unhandled: false };
    }
    if (mut.closed) return { unhandled: false };
    const flushed = mut.flushBuffered();
    if (flushed > 0 || req.forceCreateNewWorkflowTask || ctx.needsWorkflowTask) scheduleWorkflowTask(mut);
    // Updates that arrived while the task ran go to the worker with a task of their own.
    else if (engine.updates.hasUndelivered(mut.ms)) scheduleWorkflowTask(mut, { speculative: true });
    return {
      unhandled: false,
      eager: startEagerActivities(mut, ctx.eagerActivities ?? [], identity),
    };
  });
  if (outcome.unhandled) throw new ServiceError(status.INVALID_ARGUMENT, 'UnhandledCommand');
  if (outcome.oversized !== undefined) throw ServiceError.invalidArgument(outcome.oversized);
  // The speculative task was dropped: the worker rolls its copy of the history back to this event.
  if (outcome.resetHistoryEventId !== undefined) {
    return asProto<Res<'RespondWorkflowTaskCompletedResponse'>>({
      resetHistoryEventId: outcome.resetHistoryEventId,
    });
  }
  if (!outcome.eager?.activities.length) return {};
  const { ms, activities } = outcome.eager;
  return { activityTasks: activities.map((ai) => activityTaskResponse(ns, ms, ai)) };
}

/**
 * A refused completion: the task fails on a fresh copy of the committed state, and the updates it carried end as
 * an unexpected task failure ends them (see UpdateRegistry.workflowTaskFailed).
 */
function failRefusedCompletion(
  engine: HistoryEngine,
  fresh: Mutation,
  error: CommandFailure,
  identity: string,
  req: Req<'RespondWorkflowTaskCompletedRequest'>,
): void {
  failWorkflowTask(fresh, {
    kind: 'failed',
    cause: error.failedCause,
    failure: { message: error.message, source: 'Odin', serverFailureInfo: { nonRetryable: true } },
    identity,
    binaryChecksum: req.binaryChecksum ?? '',
  });
  engine.updates.workflowTaskFailed(fresh);
}

/** One update message of the completion; a protocol violation fails the task (BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE). */
function applyUpdateMessage(updates: UpdateCompletion, message: ProtocolMessage): void {
  try {
    updates.apply(message);
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    throw new CommandFailure(
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
      error.message,
    );
  }
}

/**
 * A speculative task (scheduled only to deliver updates) leaves no trace when its worker answered with nothing but
 * rejections: no commands, no heartbeat, and no more events shown to the worker than it can take again (none unless
 * it declares `discard_speculative_workflow_task_with_events`, at most DISCARD_SPECULATIVE_MAX_EVENTS if it does).
 */
function speculativeTaskDroppable(
  ms: MutableState,
  wft: WorkflowTaskInfo,
  req: Req<'RespondWorkflowTaskCompletedRequest'>,
): boolean {
  if (!wft.speculative) return false;
  if ((req.commands ?? []).length > 0 || req.forceCreateNewWorkflowTask) return false;
  if (!onlyRejections(req.messages ?? [])) return false;
  // Right after a completed task, the next event id is that task's started id + 2 (its Completed event is last).
  const shownAgain = ms.nextEventId - (ms.lastCompletedStartedEventId + 2);
  const allowed = req.capabilities?.discardSpeculativeWorkflowTaskWithEvents
    ? DISCARD_SPECULATIVE_MAX_EVENTS
    : 0;
  return shownAgain <= allowed;
}

/**
 * Drops a speculative task whose worker only rejected updates: nothing is written for it (its Scheduled and Started
 * events never were), the rejections reach their callers, and events that arrived while it ran get a normal task.
 */
function dropSpeculativeTask(
  mut: Mutation,
  updates: UpdateCompletion,
  messages: ProtocolMessage[],
  req: Req<'RespondWorkflowTaskCompletedRequest'>,
): void {
  for (const message of messages) applyUpdateMessage(updates, message);
  updates.finish({ force: false });
  const ms = mut.ms;
  ms.workflowTask = undefined;
  ms.workflowTaskAttempt = 1;
  mut.dirty = true;
  recordStickiness(mut, req.stickyAttributes);
  if (mut.flushBuffered() > 0) scheduleWorkflowTask(mut);
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

import { ServiceError } from '@odin/api';
import type { MatchingApi, WorkflowPollReservation } from '@odin/api';
import { status } from '@grpc/grpc-js';
import type { CachedRun } from './cache.js';
import type { HistoryLogger } from './context.js';
import type { NamespaceNames } from './namespaces.js';
import { readTaskData } from './state/history-builder.js';
import type { Mutation } from './state/history-builder.js';
import { isRunning } from './state/mutable-state.js';
import { timeOutWorkflowTask } from './state/workflow-task.js';
import { encodeEvent } from './util/codec.js';
import { startedWorkflowTaskResponse, startWorkflowTaskForPoll } from './workflow-task-start.js';
import type { StartedForPoll, WorkflowTaskStartHost } from './workflow-task-start.js';

/** What the hand-off needs of the history engine (declared here so this module does not import it). */
export interface HandOffHost extends WorkflowTaskStartHost {
  readonly matching: MatchingApi;
  readonly names: NamespaceNames;
  readonly logger: HistoryLogger;
  update<R>(
    namespaceId: string,
    workflowId: string,
    runId: string | null | undefined,
    fn: (mut: Mutation, run: CachedRun) => R | Promise<R>,
  ): Promise<R>;
}

/** A workflow task started in the transition that scheduled it, for a poll that was waiting in matching. */
export interface HandOff {
  readonly mut: Mutation;
  readonly reservation: WorkflowPollReservation;
  readonly started: StartedForPoll;
}

/**
 * When this transition leaves a workflow task scheduled for matching (its transfer task is among the transition's
 * tasks) and matching in this process has a poll waiting on that queue, starts the task for that poll right here,
 * as record…Started would (workflow-task-start.ts), and drops the transfer task (and a sticky task's
 * schedule-to-start timer, which could only find it started): the start costs no second transaction, no outbox row,
 * no add and no record…Started call. The caller commits, then delivers the response (`deliverHandOff`) or, when
 * the commit fails, releases the poll.
 *
 * Kept on the usual path, where it is simpler and nothing is gained:
 * - a task with no transfer task in this transition: an eager workflow start starts its own first task, and a task
 *   scheduled by an earlier transition is matching's already;
 * - a transient task (a retry after a failure or timeout, or a speculative task for an update): its Scheduled and
 *   Started events are not history yet, and a failing task is better retried through the queue than in a loop;
 * - a matching role in another process (a cluster's router has no `reserveWorkflowPoll`), or no poll waiting.
 * The engine leaves out transitions on a shard being lost and those replaced by a run's termination.
 */
export function handOffWorkflowTask(engine: HandOffHost, mut: Mutation): HandOff | undefined {
  const matching = engine.matching;
  if (!matching.reserveWorkflowPoll) return undefined;
  const ms = mut.ms;
  const wft = ms.workflowTask;
  if (wft?.startedEventId !== 0 || wft.transient || !isRunning(ms)) return undefined;
  const transfer = mut.tasks.findIndex(
    (t) =>
      t.category === 'transfer' &&
      t.taskType === 'workflow-task' &&
      readTaskData<{ scheduledEventId: number }>(t).scheduledEventId === wft.scheduledEventId,
  );
  if (transfer < 0) return undefined;
  const ns = { id: ms.namespaceId, name: engine.names.name(ms.namespaceId) };
  const reservation = matching.reserveWorkflowPoll(ns, wft.taskQueue, wft.sticky === true);
  if (!reservation) return undefined;
  // The events written so far are measured (and their encodings kept for the commit) for the started event's size.
  const encoded =
    mut.encodedEvents?.length === mut.events.length ? mut.encodedEvents : mut.events.map(encodeEvent);
  let uncommittedBytes = 0;
  for (const bytes of encoded) uncommittedBytes += bytes.length;
  let started: StartedForPoll;
  try {
    started = startWorkflowTaskForPoll(engine, mut, mut.uuid(), reservation.pollRequest, uncommittedBytes);
  } catch (error) {
    reservation.release();
    // The poll may not take this task (sticky rules; nothing changed yet): the task goes the usual way.
    if (error instanceof ServiceError && error.code === status.NOT_FOUND) return undefined;
    throw error;
  }
  mut.encodedEvents = [...encoded, ...mut.events.slice(encoded.length).map(encodeEvent)];
  const scheduledEventId = wft.scheduledEventId;
  for (let i = mut.tasks.length - 1; i >= 0; i--) {
    const task = mut.tasks[i]!;
    const dropped =
      i === transfer ||
      (task.category === 'timer' &&
        task.taskType === 'workflow-task-schedule-to-start' &&
        readTaskData<{ scheduledEventId: number }>(task).scheduledEventId === scheduledEventId);
    if (dropped) mut.tasks.splice(i, 1);
  }
  return { mut, reservation, started };
}

/**
 * After the commit: builds the poll response from the committed run, as record…Started does, and answers the poll.
 * A task that reached nobody (the poll's call was cancelled meanwhile, or the response could not be built) is timed
 * out at once through the start-to-close path, so its next attempt is scheduled now instead of after the timeout.
 */
export async function deliverHandOff(engine: HandOffHost, handOff: HandOff, run: CachedRun): Promise<void> {
  try {
    const response = await startedWorkflowTaskResponse(engine, run, handOff.started);
    if (handOff.reservation.deliver(response)) return;
  } catch (error) {
    handOff.reservation.release();
    engine.logger.warn(
      { err: error, workflowId: handOff.started.ms.workflowId, runId: handOff.started.ms.runId },
      'building a handed-off workflow task response failed; the task is timed out',
    );
  }
  await timeOutUndelivered(engine, handOff.started);
}

async function timeOutUndelivered(engine: HandOffHost, started: StartedForPoll): Promise<void> {
  const { ms, wft } = started;
  const ids = {
    scheduledEventId: wft.scheduledEventId,
    startedEventId: wft.startedEventId,
    attempt: wft.attempt,
  };
  try {
    await engine.update(ms.namespaceId, ms.workflowId, ms.runId, (mut) => {
      if (isRunning(mut.ms)) timeOutWorkflowTask(mut, ids);
    });
  } catch (error) {
    // The task's start-to-close timer still times it out.
    engine.logger.warn(
      { err: error, workflowId: ms.workflowId, runId: ms.runId },
      'timing out an undelivered workflow task failed; its start-to-close timeout will',
    );
  }
}

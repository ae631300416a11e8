import { ServiceError, temporal } from '@odin/api';
import type { WorkflowServiceRequest, WorkflowServiceResponse as Res } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import type { CachedRun } from './cache.js';
import { historyPaging } from './context.js';
import type { HistoryOptions } from './context.js';
import type { HistoryMetricsRecorder } from './metrics.js';
import type { QueryRegistry } from './queries.js';
import type { UpdateRegistry } from './updates.js';
import type { HistoryEvent } from './util/codec.js';
import type { Mutation } from './state/history-builder.js';
import type { MutableState, WorkflowTaskInfo } from './state/mutable-state.js';
import { workflowTaskResponse } from './state/poll-responses.js';
import { clearStickiness, startWorkflowTask } from './state/workflow-task.js';

const STICKY_KIND = temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY;

/** What starting a workflow task for a poll needs of the history engine (declared here so this module does not import it). */
export interface WorkflowTaskStartHost {
  readonly options: HistoryOptions;
  readonly queries: QueryRegistry;
  readonly updates: UpdateRegistry;
  readonly metrics: HistoryMetricsRecorder;
  readEvents(run: CachedRun, from: number, toExclusive: number): Promise<HistoryEvent[]>;
}

/** What the start of a workflow task for a poll leaves for the poll's response, built once it is committed. */
export interface StartedForPoll {
  /** The run's state as this transition commits it. */
  readonly ms: MutableState;
  readonly wft: WorkflowTaskInfo;
  readonly queries: Record<string, T.api.query.v1.IWorkflowQuery>;
  readonly messages: T.api.protocol.v1.IMessage[];
  readonly stickyPoll: boolean;
}

/**
 * Starts the run's scheduled workflow task for a poll (or finds it started for the same poll: a retried
 * record…Started), the one way both a poll's record…Started and a hand-off in the scheduling transition take:
 * a sticky poll takes only the task scheduled on its own sticky queue (NOT_FOUND otherwise, before anything
 * changed), a poll of the normal queue ends stickiness, the waiting queries and undelivered updates ride on the
 * task. `uncommittedBytes`: see startWorkflowTask.
 */
export function startWorkflowTaskForPoll(
  engine: Pick<WorkflowTaskStartHost, 'options' | 'queries' | 'updates'>,
  mut: Mutation,
  requestId: string,
  pollRequest: WorkflowServiceRequest<'PollWorkflowTaskQueueRequest'>,
  uncommittedBytes = 0,
): StartedForPoll {
  const ms = mut.ms;
  const wft = ms.workflowTask!;
  const pollQueue = pollRequest.taskQueue;
  const stickyPoll = pollQueue?.kind === STICKY_KIND;
  // A sticky queue only serves the task scheduled on it (stickiness may have moved on since the add).
  if (stickyPoll && (!wft.sticky || wft.taskQueue !== pollQueue?.name)) {
    throw ServiceError.notFound('Workflow task not found on this sticky task queue.');
  }
  // A worker of the normal queue took the run: any previous worker's cache is out of date from now on.
  if (!stickyPoll) clearStickiness(mut);
  if (wft.startedEventId === 0) {
    const thresholds = engine.options.historyLimits;
    startWorkflowTask(mut, requestId, pollRequest.identity ?? '', thresholds, uncommittedBytes);
  }
  const queries = engine.queries.attachToWorkflowTask(ms);
  const messages = engine.updates.deliver(mut, ms.workflowTask!.startedEventId);
  return { ms, wft: { ...ms.workflowTask! }, queries, messages, stickyPoll };
}

/**
 * The poll response of a workflow task started for a poll, from the committed run (after the commit): a sticky
 * poller has the run cached up to the previous started event and gets only what came after.
 */
export function startedWorkflowTaskResponse(
  engine: Pick<WorkflowTaskStartHost, 'options' | 'metrics' | 'readEvents'>,
  run: CachedRun,
  started: StartedForPoll,
): Promise<Res<'PollWorkflowTaskQueueResponse'>> {
  const ms = started.ms;
  const firstEventId = started.stickyPoll ? ms.lastCompletedStartedEventId + 1 : 1;
  // A replay: the whole history goes to a worker after a workflow task of the run has completed (a sticky cache
  // missed, or a worker of the normal queue took over). A run's first task starts from event 1 with nothing to replay.
  if (firstEventId === 1 && ms.lastCompletedStartedEventId > 0) {
    engine.metrics.replayed(ms.namespaceId, ms.workflowType);
  }
  return workflowTaskResponse(
    (from, to) => engine.readEvents(run, from, to),
    historyPaging(engine.options),
    ms,
    started.wft,
    started.queries,
    firstEventId,
    started.messages,
  );
}

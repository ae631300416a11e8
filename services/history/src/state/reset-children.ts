import { toNumber } from '@odin/api';
import type { HistoryEvent } from '../util/codec.js';
import { recordChildStarted } from './children.js';
import { EventType } from './history-builder.js';
import type { EventTypeValue, Mutation } from './history-builder.js';
import type { ChildInfo } from './mutable-state.js';
import type { PendingWork } from './reset-pending.js';

// Child workflows across a reset, as Temporal does it: the new run takes over the children still open at the point
// (a child reports its close to the base run, which forwards it along `resetRunId`), one not started yet is started
// from the new run, and what the base run recorded about them after the point is recorded again in the new run.

/** The new run's record of the children open at the point; a child not started there gets a start-child task. */
export function adoptChildren(mut: Mutation, work: PendingWork): void {
  for (const [initiatedEventId, { initiated, started }] of work.children) {
    const attrs = initiated.startChildWorkflowExecutionInitiatedEventAttributes;
    const info: ChildInfo = {
      initiatedEventId,
      namespaceId: attrs?.namespaceId || mut.ms.namespaceId,
      namespace: attrs?.namespace ?? '',
      workflowId: attrs?.workflowId ?? '',
      workflowType: attrs?.workflowType?.name ?? '',
      runId: started?.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.runId ?? '',
      startedEventId: started ? toNumber(started.eventId as number) : 0,
      parentClosePolicy: attrs?.parentClosePolicy ?? 0,
      adoptedByReset: true,
    };
    mut.ms.children ??= {};
    mut.ms.children[String(initiatedEventId)] = info;
    // Runs after this transaction: by then the events below may have recorded the child's start.
    if (!started) mut.addTransferTask('start-child', { initiatedEventId });
  }
}

const CLOSES: Partial<Record<number, keyof HistoryEvent>> = {
  [EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED]:
    'startChildWorkflowExecutionFailedEventAttributes',
  [EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED]: 'childWorkflowExecutionCompletedEventAttributes',
  [EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED]: 'childWorkflowExecutionFailedEventAttributes',
  [EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED]: 'childWorkflowExecutionCanceledEventAttributes',
  [EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT]: 'childWorkflowExecutionTimedOutEventAttributes',
  [EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED]:
    'childWorkflowExecutionTerminatedEventAttributes',
};

/**
 * Records again, in order, what the base run wrote after the point about children the new run took over: their
 * start, then their close (with the new run's own Started event id). Events about other children are not
 * repeated: a child the base run started after the point is not the new run's.
 */
export function reconnectChildren(mut: Mutation, after: readonly HistoryEvent[]): void {
  const children = mut.ms.children ?? {};
  for (const e of after) {
    if (e.eventType === EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED) {
      const attrs = e.childWorkflowExecutionStartedEventAttributes;
      const info = children[String(toNumber(attrs?.initiatedEventId as number))];
      if (info && !info.runId) recordChildStarted(mut, info, attrs?.workflowExecution?.runId ?? '');
      continue;
    }
    const field = CLOSES[e.eventType as number];
    if (!field) continue;
    const attrs = e[field] as { initiatedEventId?: unknown; startedEventId?: unknown } | null | undefined;
    const key = String(toNumber(attrs?.initiatedEventId as number));
    const info = children[key];
    if (!info) continue;
    delete children[key];
    const fields = { ...attrs } as Record<string, unknown>;
    if (field !== 'startChildWorkflowExecutionFailedEventAttributes')
      fields.startedEventId = info.startedEventId;
    mut.addEvent(e.eventType as EventTypeValue, { [field]: fields } as Partial<HistoryEvent>);
  }
}

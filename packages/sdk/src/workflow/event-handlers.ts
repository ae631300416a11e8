import type { Activities } from './activities.js';
import type { ChildWorkflows } from './child-workflows.js';
import type { EventEntries, EventTable } from './event-table.js';
import { noAction, unsupported } from './event-table.js';
import type { Execution } from './execution.js';
import type { ExternalWorkflows } from './external-workflows.js';
import type { Markers } from './markers.js';
import type { SignalsAndQueries } from './signals-and-queries.js';
import type { Timers } from './timers.js';

/** The families of a run, each of which owns the event types of its commands and results. */
export interface RunFamilies {
  readonly execution: Execution;
  readonly timers: Timers;
  readonly activities: Activities;
  readonly children: ChildWorkflows;
  readonly externals: ExternalWorkflows;
  readonly signals: SignalsAndQueries;
  readonly markers: Markers;
}

const workflowTaskEvents: EventEntries<
  | 'workflowTaskScheduledEventAttributes'
  | 'workflowTaskStartedEventAttributes'
  | 'workflowTaskCompletedEventAttributes'
  | 'workflowTaskTimedOutEventAttributes'
  | 'workflowTaskFailedEventAttributes'
> = {
  workflowTaskScheduledEventAttributes: noAction('workflow task events split the history into activations'),
  workflowTaskStartedEventAttributes: noAction('workflow task events split the history into activations'),
  workflowTaskCompletedEventAttributes: noAction('workflow task events split the history into activations'),
  workflowTaskTimedOutEventAttributes: noAction('workflow task events split the history into activations'),
  workflowTaskFailedEventAttributes: noAction('workflow task events split the history into activations'),
};

const updateEvents: EventEntries<
  | 'workflowExecutionUpdateAdmittedEventAttributes'
  | 'workflowExecutionUpdateAcceptedEventAttributes'
  | 'workflowExecutionUpdateRejectedEventAttributes'
  | 'workflowExecutionUpdateCompletedEventAttributes'
> = {
  workflowExecutionUpdateAdmittedEventAttributes: noAction(
    'an admitted update reaches the run as a protocol message with a workflow task',
  ),
  workflowExecutionUpdateAcceptedEventAttributes: noAction(
    'a command event: replay delivers the update from it in the task that accepted it',
  ),
  workflowExecutionUpdateRejectedEventAttributes: noAction('rejections write no event'),
  workflowExecutionUpdateCompletedEventAttributes: noAction('a command event (the completion message)'),
};
const nexus = unsupported('Nexus operations');

const unsupportedEvents: EventEntries<
  | 'nexusOperationScheduledEventAttributes'
  | 'nexusOperationStartedEventAttributes'
  | 'nexusOperationCompletedEventAttributes'
  | 'nexusOperationFailedEventAttributes'
  | 'nexusOperationCanceledEventAttributes'
  | 'nexusOperationTimedOutEventAttributes'
  | 'nexusOperationCancelRequestedEventAttributes'
  | 'nexusOperationCancelRequestCompletedEventAttributes'
  | 'nexusOperationCancelRequestFailedEventAttributes'
> = {
  nexusOperationScheduledEventAttributes: nexus,
  nexusOperationStartedEventAttributes: nexus,
  nexusOperationCompletedEventAttributes: nexus,
  nexusOperationFailedEventAttributes: nexus,
  nexusOperationCanceledEventAttributes: nexus,
  nexusOperationTimedOutEventAttributes: nexus,
  nexusOperationCancelRequestedEventAttributes: nexus,
  nexusOperationCancelRequestCompletedEventAttributes: nexus,
  nexusOperationCancelRequestFailedEventAttributes: nexus,
};

/** The run's event table: every event type, each with its family's handler or a reason it needs none. */
export function eventTableOf(run: RunFamilies): EventTable {
  return {
    ...run.execution.eventEntries(),
    ...run.signals.eventEntries(),
    ...run.timers.eventEntries(),
    ...run.activities.eventEntries(),
    ...run.children.eventEntries(),
    ...run.externals.eventEntries(),
    ...run.markers.eventEntries(),
    ...workflowTaskEvents,
    ...updateEvents,
    ...unsupportedEvents,
  };
}

import { temporal, toNumber } from '@odin/api/public';
import { LOCAL_ACTIVITY_MARKER, readLocalActivityMarkerData } from '../common/local-activity-marker.js';
import type { ICommand, IHistoryEvent } from '../common/proto-types.js';
import { parseUpdateMessageId } from './command-builders.js';

const CommandType = temporal.api.enums.v1.CommandType;
const EventType = temporal.api.enums.v1.EventType;

export function commandTypeName(type: number | null | undefined): string {
  return (CommandType[type ?? 0] ?? String(type)).replace(/^COMMAND_TYPE_/, '');
}

export function eventTypeName(type: number | null | undefined): string {
  return (EventType[type ?? 0] ?? String(type)).replace(/^EVENT_TYPE_/, '');
}

/** The event type each command writes into history. */
const eventForCommand: Record<number, number> = {
  [CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK]: EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  [CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK]:
    EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
  [CommandType.COMMAND_TYPE_START_TIMER]: EventType.EVENT_TYPE_TIMER_STARTED,
  [CommandType.COMMAND_TYPE_CANCEL_TIMER]: EventType.EVENT_TYPE_TIMER_CANCELED,
  [CommandType.COMMAND_TYPE_RECORD_MARKER]: EventType.EVENT_TYPE_MARKER_RECORDED,
  [CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION]:
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
  [CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION]:
    EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
  [CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION]:
    EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
  [CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES]:
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
  [CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES]: EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED,
  [CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION]: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED,
  [CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION]: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED,
  [CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION]: EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED,
  [CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION]:
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW,
};

/** The event a PROTOCOL_MESSAGE command writes depends on its message: an update's acceptance or completion. */
function eventForProtocolMessage(command: ICommand): number | undefined {
  const parsed = parseUpdateMessageId(command.protocolMessageCommandAttributes?.messageId ?? '');
  if (!parsed) return undefined;
  return parsed.kind === 'accept'
    ? EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED
    : EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED;
}

function expectedEventType(command: ICommand): number | undefined {
  if (command.commandType === CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE)
    return eventForProtocolMessage(command);
  return eventForCommand[command.commandType ?? 0];
}

const commandEventTypes = new Set<number>([
  ...Object.values(eventForCommand),
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
]);

/** True for the events a command writes (they follow WorkflowTaskCompleted, in command order). */
export function isCommandEvent(event: IHistoryEvent): boolean {
  return commandEventTypes.has(event.eventType ?? 0);
}

export const TERMINAL_COMMANDS: ReadonlySet<number> = new Set([
  CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
]);

const decoder = new TextDecoder();

/** The identifying key of a marker: the `key` detail's first payload, as text. */
export function markerKey(
  details: Record<string, { payloads?: { data?: Uint8Array | null }[] | null }> | null | undefined,
): string {
  const data = details?.['key']?.payloads?.[0]?.data;
  return data ? decoder.decode(data) : '';
}

/** A local activity's marker is identified by its sequence number, activity id and type (its `data` detail). */
function markerIdentity(
  markerName: string | null | undefined,
  details: Parameters<typeof markerKey>[0] & Parameters<typeof readLocalActivityMarkerData>[0],
): string {
  if (markerName === LOCAL_ACTIVITY_MARKER) {
    const data = readLocalActivityMarkerData(details);
    return `marker=${markerName} seq=${data?.seq} activityId=${data?.activityId} activityType=${data?.activityType}`;
  }
  return `marker=${markerName} key=${markerKey(details)}`;
}

/** The sequence number of a local activity marker command or event; undefined for anything else. */
export function localActivitySeqOf(item: ICommand | IHistoryEvent): number | undefined {
  const attributes =
    'eventType' in item
      ? (item as IHistoryEvent).markerRecordedEventAttributes
      : (item as ICommand).recordMarkerCommandAttributes;
  if (attributes?.markerName !== LOCAL_ACTIVITY_MARKER) return undefined;
  return readLocalActivityMarkerData(attributes.details)?.seq;
}

/** What identifies a command (and its event) for matching: type plus the ids the workflow chose. */
function commandIdentity(command: ICommand): string {
  const type = command.commandType ?? 0;
  switch (type) {
    case CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK: {
      const a = command.scheduleActivityTaskCommandAttributes;
      return `activityId=${a?.activityId} activityType=${a?.activityType?.name}`;
    }
    case CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
      return `scheduledEventId=${toNumber(command.requestCancelActivityTaskCommandAttributes?.scheduledEventId)}`;
    case CommandType.COMMAND_TYPE_START_TIMER:
      return `timerId=${command.startTimerCommandAttributes?.timerId}`;
    case CommandType.COMMAND_TYPE_CANCEL_TIMER:
      return `timerId=${command.cancelTimerCommandAttributes?.timerId}`;
    case CommandType.COMMAND_TYPE_RECORD_MARKER: {
      const a = command.recordMarkerCommandAttributes;
      return markerIdentity(a?.markerName, a?.details);
    }
    case CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION: {
      const a = command.startChildWorkflowExecutionCommandAttributes;
      return `workflowId=${a?.workflowId} workflowType=${a?.workflowType?.name}`;
    }
    case CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION: {
      const a = command.signalExternalWorkflowExecutionCommandAttributes;
      return `workflowId=${a?.execution?.workflowId} signal=${a?.signalName}`;
    }
    case CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
      return `workflowId=${command.requestCancelExternalWorkflowExecutionCommandAttributes?.workflowId}`;
    case CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE: {
      const parsed = parseUpdateMessageId(command.protocolMessageCommandAttributes?.messageId ?? '');
      return `updateId=${parsed?.updateId}`;
    }
    default:
      return '';
  }
}

function eventIdentity(event: IHistoryEvent): string {
  const type = event.eventType ?? 0;
  switch (type) {
    case EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: {
      const a = event.activityTaskScheduledEventAttributes;
      return `activityId=${a?.activityId} activityType=${a?.activityType?.name}`;
    }
    case EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED:
      return `scheduledEventId=${toNumber(event.activityTaskCancelRequestedEventAttributes?.scheduledEventId)}`;
    case EventType.EVENT_TYPE_TIMER_STARTED:
      return `timerId=${event.timerStartedEventAttributes?.timerId}`;
    case EventType.EVENT_TYPE_TIMER_CANCELED:
      return `timerId=${event.timerCanceledEventAttributes?.timerId}`;
    case EventType.EVENT_TYPE_MARKER_RECORDED: {
      const a = event.markerRecordedEventAttributes;
      return markerIdentity(a?.markerName, a?.details);
    }
    case EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: {
      const a = event.startChildWorkflowExecutionInitiatedEventAttributes;
      return `workflowId=${a?.workflowId} workflowType=${a?.workflowType?.name}`;
    }
    case EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: {
      const a = event.signalExternalWorkflowExecutionInitiatedEventAttributes;
      return `workflowId=${a?.workflowExecution?.workflowId} signal=${a?.signalName}`;
    }
    case EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
      return `workflowId=${event.requestCancelExternalWorkflowExecutionInitiatedEventAttributes?.workflowExecution?.workflowId}`;
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
      return `updateId=${event.workflowExecutionUpdateAcceptedEventAttributes?.protocolInstanceId}`;
    case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
      return `updateId=${event.workflowExecutionUpdateCompletedEventAttributes?.meta?.updateId}`;
    default:
      return '';
  }
}

export function describeCommand(command: ICommand): string {
  const identity = commandIdentity(command);
  return `${commandTypeName(command.commandType)}${identity ? ` (${identity})` : ''}`;
}

export function describeEvent(event: IHistoryEvent): string {
  const identity = eventIdentity(event);
  return `#${toNumber(event.eventId)} ${eventTypeName(event.eventType)}${identity ? ` (${identity})` : ''}`;
}

/** Undefined when `event` is what `command` writes; otherwise why not. */
export function commandMismatch(command: ICommand, event: IHistoryEvent): string | undefined {
  const expected = expectedEventType(command);
  if (expected !== event.eventType) return 'the command does not produce this event type';
  if (commandIdentity(command) !== eventIdentity(event))
    return 'the command and the event name different ids';
  return undefined;
}

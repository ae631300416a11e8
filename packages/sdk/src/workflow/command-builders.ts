// The commands a workflow issues, built from the workflow API's options: each function returns one ICommand
// exactly as it goes to the server (and as replay compares it with history).
import type { DeterministicRecord } from '@odin/hugo';
import { msToDuration, temporal } from '@odin/api/public';
import type { RetryPolicy } from '../common/definitions.js';
import { type Duration, durationMs } from '../common/duration.js';
import { errorToFailure } from '../common/failure.js';
import { type PayloadConverter, toPayloads } from '../common/payload.js';
import type { Headers } from '../common/interceptors.js';
import type { ICommand } from '../common/proto-types.js';
import {
  LOCAL_ACTIVITY_MARKER,
  type LocalActivityResolution,
  localActivityMarkerDetails,
} from '../common/local-activity-marker.js';
import type { ActivityOptions, ChildWorkflowOptions, ContinueAsNewOptions } from './options.js';

const CommandType = temporal.api.enums.v1.CommandType;
const ParentClosePolicy = temporal.api.enums.v1.ParentClosePolicy;

export function startTimerCommand(timerId: string, ms: number): ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_START_TIMER,
    startTimerCommandAttributes: { timerId, startToFireTimeout: msToDuration(Math.ceil(ms)) as never },
  };
}

export function cancelTimerCommand(timerId: string): ICommand {
  return { commandType: CommandType.COMMAND_TYPE_CANCEL_TIMER, cancelTimerCommandAttributes: { timerId } };
}

export function scheduleActivityCommand(
  converter: PayloadConverter,
  activityId: string,
  activityType: string,
  args: unknown[],
  options: ActivityOptions & { taskQueue: string },
  headers: Headers = {},
): ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK,
    scheduleActivityTaskCommandAttributes: {
      ...headerOf(headers),
      activityId,
      activityType: { name: activityType },
      taskQueue: { name: options.taskQueue },
      input: toPayloads(converter, args) ?? null,
      scheduleToCloseTimeout: protoDuration(options.scheduleToCloseTimeout),
      scheduleToStartTimeout: protoDuration(options.scheduleToStartTimeout),
      startToCloseTimeout: protoDuration(options.startToCloseTimeout),
      heartbeatTimeout: protoDuration(options.heartbeatTimeout),
      retryPolicy: retryPolicyOf(options.retry),
    },
  };
}

export function requestCancelActivityCommand(scheduledEventId: number): ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK,
    requestCancelActivityTaskCommandAttributes: { scheduledEventId: scheduledEventId as never },
  };
}

export function startChildWorkflowCommand(
  converter: PayloadConverter,
  namespace: string,
  workflowId: string,
  workflowType: string,
  args: unknown[],
  options: ChildWorkflowOptions & { taskQueue: string },
  headers: Headers = {},
): ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION,
    startChildWorkflowExecutionCommandAttributes: {
      ...headerOf(headers),
      namespace,
      workflowId,
      workflowType: { name: workflowType },
      taskQueue: { name: options.taskQueue },
      input: toPayloads(converter, args) ?? null,
      workflowExecutionTimeout: protoDuration(options.workflowExecutionTimeout),
      workflowRunTimeout: protoDuration(options.workflowRunTimeout),
      workflowTaskTimeout: protoDuration(options.workflowTaskTimeout),
      parentClosePolicy: ParentClosePolicy[`PARENT_CLOSE_POLICY_${options.parentClosePolicy ?? 'TERMINATE'}`],
      retryPolicy: retryPolicyOf(options.retry),
      cronSchedule: options.cronSchedule ?? '',
      memo: options.memo ? { fields: payloadMap(converter, options.memo) } : null,
      searchAttributes: options.searchAttributes
        ? { indexedFields: payloadMap(converter, options.searchAttributes) }
        : null,
    },
  };
}

/** What identifies an external (or child) workflow to signal or cancel. */
export interface ExternalTarget {
  readonly namespace: string;
  readonly workflowId: string;
  readonly runId: string;
  /** Only a child of this workflow may be targeted. */
  readonly childWorkflowOnly: boolean;
  /** Correlates the command with its outcome event. */
  readonly control: string;
}

export function signalExternalCommand(
  converter: PayloadConverter,
  target: ExternalTarget,
  signalName: string,
  args: unknown[],
  headers: Headers = {},
): ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION,
    signalExternalWorkflowExecutionCommandAttributes: {
      ...headerOf(headers),
      namespace: target.namespace,
      execution: { workflowId: target.workflowId, runId: target.runId },
      signalName,
      input: toPayloads(converter, args) ?? null,
      control: target.control,
      childWorkflowOnly: target.childWorkflowOnly,
    },
  };
}

export function requestCancelExternalCommand(target: ExternalTarget): ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION,
    requestCancelExternalWorkflowExecutionCommandAttributes: {
      namespace: target.namespace,
      workflowId: target.workflowId,
      runId: target.runId,
      control: target.control,
      childWorkflowOnly: target.childWorkflowOnly,
    },
  };
}

export function upsertSearchAttributesCommand(
  converter: PayloadConverter,
  values: Record<string, unknown>,
): ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
    upsertWorkflowSearchAttributesCommandAttributes: {
      searchAttributes: { indexedFields: payloadMap(converter, values) },
    },
  };
}

export function recordMarkerCommand(
  converter: PayloadConverter,
  markerName: string,
  key: string,
  record: DeterministicRecord,
): ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_RECORD_MARKER,
    recordMarkerCommandAttributes: {
      markerName,
      details: {
        key: toPayloads(converter, [key])!,
        record: toPayloads(converter, [record])!,
      },
    },
  };
}

/** A local activity's outcome, recorded as core's `core_local_activity` marker. */
export function localActivityMarkerCommand(resolution: LocalActivityResolution): ICommand {
  const outcome = resolution.outcome;
  return {
    commandType: CommandType.COMMAND_TYPE_RECORD_MARKER,
    recordMarkerCommandAttributes: {
      markerName: LOCAL_ACTIVITY_MARKER,
      details: localActivityMarkerDetails(
        resolution.data,
        outcome.kind === 'completed' ? outcome.result : undefined,
      ),
      failure: outcome.kind === 'completed' ? null : outcome.failure,
    },
  };
}

export function continueAsNewCommand(
  converter: PayloadConverter,
  workflowType: string,
  args: unknown[],
  headers: Headers,
  options: ContinueAsNewOptions & { taskQueue: string },
): ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
    continueAsNewWorkflowExecutionCommandAttributes: {
      ...headerOf(headers),
      workflowType: { name: workflowType },
      taskQueue: { name: options.taskQueue },
      input: toPayloads(converter, args) ?? null,
      workflowRunTimeout: protoDuration(options.workflowRunTimeout),
      workflowTaskTimeout: protoDuration(options.workflowTaskTimeout),
      memo: options.memo ? { fields: payloadMap(converter, options.memo) } : null,
    },
  };
}

export function completeWorkflowCommand(converter: PayloadConverter, value: unknown): ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
    completeWorkflowExecutionCommandAttributes: { result: toPayloads(converter, [value]) ?? null },
  };
}

export function failWorkflowCommand(converter: PayloadConverter, error: unknown): ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
    failWorkflowExecutionCommandAttributes: { failure: errorToFailure(error, converter) },
  };
}

export function cancelWorkflowCommand(): ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
    cancelWorkflowExecutionCommandAttributes: {},
  };
}

/** The command's header, when interceptors set any (an empty header is left out). */
function headerOf(headers: Headers): { header?: { fields: Headers } } {
  return Object.keys(headers).length > 0 ? { header: { fields: headers } } : {};
}

function protoDuration(value: Duration | undefined): never {
  return (value === undefined ? null : msToDuration(durationMs(value))) as never;
}

function retryPolicyOf(policy: RetryPolicy | undefined): never {
  if (!policy) return null as never;
  return {
    initialInterval: protoDuration(policy.initialInterval),
    backoffCoefficient: policy.backoffCoefficient ?? null,
    maximumInterval: protoDuration(policy.maximumInterval),
    maximumAttempts: policy.maximumAttempts ?? null,
    nonRetryableErrorTypes: policy.nonRetryableErrorTypes ?? [],
  } as never;
}

function payloadMap(converter: PayloadConverter, values: Record<string, unknown>) {
  const out: Record<string, ReturnType<PayloadConverter['toPayload']>> = {};
  for (const [key, value] of Object.entries(values)) out[key] = converter.toPayload(value);
  return out;
}

/** The two protocol messages of an accepted update that write history events, each placed by a command. */
export type UpdateMessageKind = 'accept' | 'complete';

/** The id of an update's outgoing protocol message; replay reads the update id and the kind back from it. */
export function updateMessageId(updateId: string, kind: UpdateMessageKind | 'reject'): string {
  return `${updateId}/${kind}`;
}

/** The update id and kind an outgoing message id names; undefined for an id this SDK did not make. */
export function parseUpdateMessageId(
  messageId: string,
): { updateId: string; kind: UpdateMessageKind } | undefined {
  const slash = messageId.lastIndexOf('/');
  const kind = messageId.slice(slash + 1);
  if (slash < 0 || (kind !== 'accept' && kind !== 'complete')) return undefined;
  return { updateId: messageId.slice(0, slash), kind };
}

/** Places a protocol message (an update's acceptance or completion) among the task's commands. */
export function protocolMessageCommand(messageId: string): ICommand {
  return {
    commandType: CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE,
    protocolMessageCommandAttributes: { messageId },
  };
}

import type { temporal as T } from '@temporalio/proto';
import { temporal } from '@odin/api';
import { Cause, type CauseValue } from './command-failure.js';

const CommandType = temporal.api.enums.v1.CommandType;
type Command = T.api.command.v1.ICommand;

/** Temporal's error for a payload over the blob size limit where it refuses rather than fails a workflow task. */
export const BLOB_SIZE_EXCEEDS_LIMIT = 'Blob data size exceeds limit.';

/** The protobuf size of a Payloads, as Temporal measures a blob. */
export const payloadsSize = (p: T.api.common.v1.IPayloads | null | undefined): number =>
  p ? temporal.api.common.v1.Payloads.encode(p).finish().length : 0;
const failureSize = (f: T.api.failure.v1.IFailure | null | undefined): number =>
  f ? temporal.api.failure.v1.Failure.encode(f).finish().length : 0;
const markerDetailsSize = (details: Record<string, T.api.common.v1.IPayloads> | null | undefined): number => {
  let total = 0;
  for (const [key, payloads] of Object.entries(details ?? {})) total += key.length + payloadsSize(payloads);
  return total;
};

/**
 * For each command that carries a payload, what is measured (the protobuf size of the field, as Temporal measures
 * it), the cause its workflow task fails with and the message, as Temporal names them (the complete command's cause
 * is Temporal's own choice).
 */
const MEASURED: Partial<
  Record<number, { size: (c: Command) => number; cause: CauseValue; message: string }>
> = {
  [CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK]: {
    size: (c) => payloadsSize(c.scheduleActivityTaskCommandAttributes?.input),
    cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
    message: 'ScheduleActivityTaskCommandAttributes.Input exceeds size limit.',
  },
  [CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION]: {
    size: (c) => payloadsSize(c.completeWorkflowExecutionCommandAttributes?.result),
    cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
    message: 'CompleteWorkflowExecutionCommandAttributes.Result exceeds size limit.',
  },
  [CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION]: {
    size: (c) => failureSize(c.failWorkflowExecutionCommandAttributes?.failure),
    cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES,
    message: 'FailWorkflowExecutionCommandAttributes.Failure exceeds size limit.',
  },
  [CommandType.COMMAND_TYPE_RECORD_MARKER]: {
    size: (c) => markerDetailsSize(c.recordMarkerCommandAttributes?.details),
    cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES,
    message: 'RecordMarkerCommandAttributes.Details exceeds size limit.',
  },
  [CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION]: {
    size: (c) => payloadsSize(c.continueAsNewWorkflowExecutionCommandAttributes?.input),
    cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES,
    message: 'ContinueAsNewWorkflowExecutionCommandAttributes. Input exceeds size limit.',
  },
  [CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION]: {
    size: (c) => payloadsSize(c.startChildWorkflowExecutionCommandAttributes?.input),
    cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
    message: 'StartChildWorkflowExecutionCommandAttributes. Input exceeds size limit.',
  },
  [CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION]: {
    size: (c) => payloadsSize(c.signalExternalWorkflowExecutionCommandAttributes?.input),
    cause: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
    message: 'SignalExternalWorkflowExecutionCommandAttributes.Input exceeds size limit.',
  },
};

/** A command whose payload is over the blob size limit: the run is terminated with this cause and reason. */
export interface OversizedCommand {
  readonly cause: CauseValue;
  /** `"<cause name>: <message>"`, Temporal's termination reason and the completion's INVALID_ARGUMENT message. */
  readonly reason: string;
  readonly size: number;
}

/**
 * The first command (in request order) whose payload is over `blobError` bytes; `onWarn` hears of each one over
 * `blobWarn`.
 */
export function oversizedCommand(
  commands: readonly Command[],
  limits: { readonly blobWarn: number; readonly blobError: number },
  onWarn: (commandType: number, size: number) => void,
): OversizedCommand | undefined {
  for (const command of commands) {
    const measured = MEASURED[command.commandType ?? 0];
    if (!measured) continue;
    const size = measured.size(command);
    if (size > limits.blobError) {
      const causeName = causeShortName(measured.cause);
      return { cause: measured.cause, reason: `${causeName}: ${measured.message}`, size };
    }
    if (size > limits.blobWarn) onWarn(command.commandType ?? 0, size);
  }
  return undefined;
}

/** A cause as Temporal's Go enum prints it: WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES → BadRecordMarkerAttributes. */
export function causeShortName(cause: CauseValue): string {
  const name = temporal.api.enums.v1.WorkflowTaskFailedCause[cause] as unknown as string;
  return name
    .replace(/^WORKFLOW_TASK_FAILED_CAUSE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_m, _sep: string, ch: string) => ch.toUpperCase());
}

import { findInvalidDuration, protoRoot, temporal } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import { cancelWorkflow, completeWorkflow, failWorkflow } from './close-workflow.js';
import { requestCancelActivity } from './cancel-activity.js';
import { Cause, CommandFailure } from './command-context.js';
import type { CommandContext } from './command-context.js';
import { continueAsNew } from './continue-as-new.js';
import { requestCancelExternal, signalExternal } from './external.js';
import { modifyWorkflowProperties, recordMarker, upsertSearchAttributes } from './properties.js';
import { protocolMessage } from './protocol-message.js';
import { scheduleActivity } from './schedule-activity.js';
import { startChild } from './start-child.js';
import { cancelTimer, startTimer } from './timers.js';

const CommandType = temporal.api.enums.v1.CommandType;
type Command = T.api.command.v1.ICommand;

const TERMINAL = new Set<number>([
  CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
  CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
]);

/**
 * The cause a command with an invalid google.protobuf.Duration (nanos of a second or more, seconds out of range)
 * fails the workflow task with: the command's own BAD_…_ATTRIBUTES, as Temporal's command validation answers.
 */
const BAD_DURATION_CAUSE: Readonly<Record<number, number>> = {
  [CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK]:
    Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
  [CommandType.COMMAND_TYPE_START_TIMER]: Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
  [CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION]:
    Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES,
  [CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION]:
    Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
};

const COMMAND_MESSAGE = protoRoot.lookupType('temporal.api.command.v1.Command');

function checkDurations(command: Command, type: number): void {
  const cause = BAD_DURATION_CAUSE[type];
  if (cause === undefined) return;
  const problem = findInvalidDuration(COMMAND_MESSAGE, command);
  if (problem) throw new CommandFailure(cause, `${problem}.`);
}

export function isTerminalCommand(command: Command): boolean {
  return TERMINAL.has(command.commandType ?? 0);
}

/** Turns each command into its event(s), in command order; a terminal command must be the last one. */
export function applyCommands(ctx: CommandContext, commands: Command[]): void {
  for (const [index, command] of commands.entries()) {
    const type = command.commandType ?? 0;
    if (TERMINAL.has(type) && index !== commands.length - 1) {
      throw new CommandFailure(
        Cause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
        'A workflow-closing command must be the last command of a workflow task completion.',
      );
    }
    checkDurations(command, type);
    switch (type) {
      case CommandType.COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK:
        scheduleActivity(ctx, command.scheduleActivityTaskCommandAttributes);
        break;
      case CommandType.COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK:
        requestCancelActivity(ctx, command.requestCancelActivityTaskCommandAttributes);
        break;
      case CommandType.COMMAND_TYPE_START_TIMER:
        startTimer(ctx, command.startTimerCommandAttributes);
        break;
      case CommandType.COMMAND_TYPE_CANCEL_TIMER:
        cancelTimer(ctx, command.cancelTimerCommandAttributes);
        break;
      case CommandType.COMMAND_TYPE_RECORD_MARKER:
        recordMarker(ctx, command.recordMarkerCommandAttributes);
        break;
      case CommandType.COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
        upsertSearchAttributes(ctx, command.upsertWorkflowSearchAttributesCommandAttributes);
        break;
      case CommandType.COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES:
        modifyWorkflowProperties(ctx, command.modifyWorkflowPropertiesCommandAttributes);
        break;
      case CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION:
        completeWorkflow(ctx, command.completeWorkflowExecutionCommandAttributes);
        break;
      case CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION:
        failWorkflow(ctx, command.failWorkflowExecutionCommandAttributes);
        break;
      case CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION:
        cancelWorkflow(ctx, command.cancelWorkflowExecutionCommandAttributes);
        break;
      case CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION:
        continueAsNew(ctx, command.continueAsNewWorkflowExecutionCommandAttributes);
        break;
      case CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION:
        startChild(ctx, command.startChildWorkflowExecutionCommandAttributes);
        break;
      case CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION:
        signalExternal(ctx, command.signalExternalWorkflowExecutionCommandAttributes);
        break;
      case CommandType.COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION:
        requestCancelExternal(ctx, command.requestCancelExternalWorkflowExecutionCommandAttributes);
        break;
      case CommandType.COMMAND_TYPE_PROTOCOL_MESSAGE:
        protocolMessage(ctx, command.protocolMessageCommandAttributes);
        break;
      default:
        throw new CommandFailure(
          Cause.WORKFLOW_TASK_FAILED_CAUSE_FEATURE_DISABLED,
          `Command type ${type} is not supported by Odin yet.`,
        );
    }
  }
}

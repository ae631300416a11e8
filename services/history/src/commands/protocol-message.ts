import type { temporal as T } from '@temporalio/proto';
import { Cause, CommandFailure } from './command-context.js';
import type { CommandContext } from './command-context.js';

/**
 * PROTOCOL_MESSAGE: where among the commands a protocol message of the same completion takes effect (an update's
 * Accepted and Completed events are written at this point of the command sequence). The message must be in the
 * completion.
 */
export function protocolMessage(
  ctx: CommandContext,
  attrs: T.api.command.v1.IProtocolMessageCommandAttributes | null | undefined,
): void {
  const messageId = attrs?.messageId ?? '';
  if (!messageId) {
    throw new CommandFailure(
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
      'A PROTOCOL_MESSAGE command must name a message (message_id is not set).',
    );
  }
  if (!ctx.protocolMessage?.(messageId)) {
    throw new CommandFailure(
      Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
      `The PROTOCOL_MESSAGE command names message ${messageId}, which the completion does not carry.`,
    );
  }
}

import type { temporal as T } from '@temporalio/proto';
import { WorkflowStatus } from '@odin/persistence';
import { closeRun } from '../state/close.js';
import { EventType } from '../state/history-builder.js';
import { decideNextRun, startChainedRun } from '../state/next-run.js';
import type { CommandContext } from './command-context.js';

/** WorkflowExecutionCompleted; a cron chain continues in its next run (created in the same transaction). */
export function completeWorkflow(
  ctx: CommandContext,
  attrs: T.api.command.v1.ICompleteWorkflowExecutionCommandAttributes | null | undefined,
): void {
  const { mut } = ctx;
  const { next } = decideNextRun(mut, { kind: 'completed' }, ctx.started);
  closeRun(mut, WorkflowStatus.COMPLETED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, {
    workflowExecutionCompletedEventAttributes: {
      result: attrs?.result ?? null,
      workflowTaskCompletedEventId: ctx.completedEventId,
      newExecutionRunId: next?.runId ?? '',
    },
  });
  if (next && ctx.started) startChainedRun(mut, ctx.started, next, null, attrs?.result ?? null);
}

/**
 * WorkflowExecutionFailed. With a retry policy that allows another attempt (or a cron schedule), the event names
 * the next run (retry state IN_PROGRESS for retries) and that run is created in the same transaction, its first
 * task after the backoff.
 */
export function failWorkflow(
  ctx: CommandContext,
  attrs: T.api.command.v1.IFailWorkflowExecutionCommandAttributes | null | undefined,
): void {
  const { mut } = ctx;
  const failure = attrs?.failure ?? null;
  const { next, retryState } = decideNextRun(
    mut,
    { kind: 'failed', failure: failure ?? undefined },
    ctx.started,
  );
  closeRun(mut, WorkflowStatus.FAILED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, {
    workflowExecutionFailedEventAttributes: {
      failure,
      retryState,
      workflowTaskCompletedEventId: ctx.completedEventId,
      newExecutionRunId: next?.runId ?? '',
    },
  });
  if (next && ctx.started) startChainedRun(mut, ctx.started, next, failure, null);
}

export function cancelWorkflow(
  ctx: CommandContext,
  attrs: T.api.command.v1.ICancelWorkflowExecutionCommandAttributes | null | undefined,
): void {
  closeRun(ctx.mut, WorkflowStatus.CANCELED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, {
    workflowExecutionCanceledEventAttributes: {
      details: attrs?.details ?? null,
      workflowTaskCompletedEventId: ctx.completedEventId,
    },
  });
}

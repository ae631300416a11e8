import { durationToMs, msToDuration, ServiceError } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import { WorkflowStatus } from '@odin/persistence';
import { closeRun } from '../state/close.js';
import { EventType } from '../state/history-builder.js';
import { buildNewRun, cronScheduleError } from '../state/new-run.js';
import { decodeMemo, decodeSearchAttributes } from '../util/codec.js';
import { Cause, CommandFailure } from './command-context.js';
import { checkedSearchAttributes, presentSearchAttributes } from './search-attributes.js';
import type { CommandContext } from './command-context.js';

/**
 * Closes this run with WorkflowExecutionContinuedAsNew and creates the next run of the chain in the same
 * transaction (same workflow id, so the same shard), moving current_executions to it.
 */
export function continueAsNew(
  ctx: CommandContext,
  attrs: T.api.command.v1.IContinueAsNewWorkflowExecutionCommandAttributes | null | undefined,
): void {
  const { mut } = ctx;
  const ms = mut.ms;
  if (!attrs)
    throw ServiceError.invalidArgument('ContinueAsNewWorkflowExecutionCommandAttributes is not set.');
  const cronError = cronScheduleError(attrs.cronSchedule);
  if (cronError)
    throw new CommandFailure(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES, cronError);
  const newRunId = mut.uuid();
  const workflowType = attrs.workflowType?.name || ms.workflowType;
  const taskQueue = attrs.taskQueue?.name || ms.taskQueue;
  const runTimeoutMs = durationToMs(attrs.workflowRunTimeout) || ms.runTimeoutMs;
  const taskTimeoutMs = durationToMs(attrs.workflowTaskTimeout) || ms.workflowTaskTimeoutMs;
  const memo = attrs.memo ?? decodeMemo(ms.memo) ?? null;
  // New attributes replace the run's (checked like a start's); without any, the next run keeps the run's.
  const searchAttributes = attrs.searchAttributes
    ? presentSearchAttributes(
        checkedSearchAttributes(ctx.searchAttributes, attrs.searchAttributes.indexedFields),
      )
    : (decodeSearchAttributes(ms.searchAttributes) ?? null);
  closeRun(mut, WorkflowStatus.CONTINUED_AS_NEW, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, {
    workflowExecutionContinuedAsNewEventAttributes: {
      newExecutionRunId: newRunId,
      workflowType: { name: workflowType },
      taskQueue: { name: taskQueue, kind: 1 },
      input: attrs.input ?? null,
      workflowRunTimeout: runTimeoutMs > 0 ? msToDuration(runTimeoutMs) : null,
      workflowTaskTimeout: msToDuration(taskTimeoutMs),
      workflowTaskCompletedEventId: ctx.completedEventId,
      backoffStartInterval: attrs.backoffStartInterval ?? null,
      initiator: attrs.initiator ?? 0,
      failure: attrs.failure ?? null,
      lastCompletionResult: attrs.lastCompletionResult ?? null,
      header: attrs.header ?? null,
      memo,
      searchAttributes,
    },
  });
  ms.newExecutionRunId = newRunId;
  const next = buildNewRun(
    mut,
    ms.namespaceId,
    {
      workflowId: ms.workflowId,
      workflowType,
      taskQueue,
      input: attrs.input,
      header: attrs.header,
      memo,
      searchAttributes,
      runTimeout: runTimeoutMs > 0 ? msToDuration(runTimeoutMs) : null,
      taskTimeout: msToDuration(taskTimeoutMs),
      identity: ctx.identity,
      requestId: mut.uuid(),
      reusePolicy: 0,
      conflictPolicy: 0,
      retryPolicy: attrs.retryPolicy,
      cronSchedule: attrs.cronSchedule,
    },
    newRunId,
    {
      continuation: {
        continuedExecutionRunId: ms.runId,
        firstExecutionRunId: ms.firstExecutionRunId,
        executionExpirationTime: ms.executionExpirationTime,
        initiator: attrs.initiator,
        lastCompletionResult: attrs.lastCompletionResult,
        continuedFailure: attrs.failure,
        ...(ms.parent ? { parent: ms.parent } : {}),
      },
    },
  );
  mut.newRun = {
    mut: next,
    current: { mode: 'replace', expectedCurrentRunId: ms.runId },
    requestId: next.ms.createRequestId,
  };
}

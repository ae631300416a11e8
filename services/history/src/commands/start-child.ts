import { temporal } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import { EventType } from '../state/history-builder.js';
import { cronScheduleError } from '../state/new-run.js';
import { idLengthError } from '@odin/persistence';
import { Cause, CommandFailure } from './command-context.js';
import { checkedSearchAttributes, presentSearchAttributes } from './search-attributes.js';
import type { CommandContext } from './command-context.js';

/**
 * StartChildWorkflowExecutionInitiated, and a transfer task that creates the child run (in its own shard) and then
 * records ChildWorkflowExecutionStarted here. Children live in the parent's namespace.
 */
export function startChild(
  ctx: CommandContext,
  attrs: T.api.command.v1.IStartChildWorkflowExecutionCommandAttributes | null | undefined,
): void {
  const namespace = ctx.namespace;
  const bad = (message: string) =>
    new CommandFailure(Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES, message);
  if (!attrs?.workflowId) throw bad('WorkflowId of the child workflow is not set.');
  const idProblem = idLengthError(attrs.workflowId, 'WorkflowId of the child workflow');
  if (idProblem) throw bad(idProblem);
  if (!attrs.workflowType?.name) throw bad('WorkflowType of the child workflow is not set.');
  if (attrs.namespace && attrs.namespace !== namespace) {
    throw bad('Child workflows in another namespace are not supported by Odin yet.');
  }
  const cronError = cronScheduleError(attrs.cronSchedule);
  if (cronError) throw bad(cronError);
  const searchAttributes = presentSearchAttributes(
    checkedSearchAttributes(ctx.searchAttributes, attrs.searchAttributes?.indexedFields),
  );
  const { mut } = ctx;
  const ms = mut.ms;
  const taskQueue = attrs.taskQueue?.name || ms.taskQueue;
  const parentClosePolicy =
    attrs.parentClosePolicy || temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE;
  const event = mut.addEvent(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED, {
    startChildWorkflowExecutionInitiatedEventAttributes: {
      namespace,
      namespaceId: ms.namespaceId,
      workflowId: attrs.workflowId,
      workflowType: attrs.workflowType,
      taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      input: attrs.input ?? null,
      workflowExecutionTimeout: attrs.workflowExecutionTimeout ?? null,
      workflowRunTimeout: attrs.workflowRunTimeout ?? null,
      workflowTaskTimeout: attrs.workflowTaskTimeout ?? null,
      parentClosePolicy,
      control: attrs.control ?? '',
      workflowTaskCompletedEventId: ctx.completedEventId,
      workflowIdReusePolicy: attrs.workflowIdReusePolicy ?? 0,
      retryPolicy: attrs.retryPolicy ?? null,
      cronSchedule: attrs.cronSchedule ?? '',
      header: attrs.header ?? null,
      memo: attrs.memo ?? null,
      searchAttributes,
      priority: attrs.priority ?? null,
    },
  });
  const initiatedEventId = Number(event.eventId);
  ms.children ??= {};
  ms.children[String(initiatedEventId)] = {
    initiatedEventId,
    namespaceId: ms.namespaceId,
    namespace,
    workflowId: attrs.workflowId,
    workflowType: attrs.workflowType.name,
    runId: '',
    startedEventId: 0,
    parentClosePolicy,
  };
  mut.addTransferTask('start-child', { initiatedEventId });
}

import { ServiceError } from '@odin/api';
import type { CallContext, NamespaceRef, StartChildExecutionRequest } from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { cronScheduleError } from '../../state/new-run.js';
import { decideStart } from '../../state/start.js';

/**
 * The child's side of StartChildWorkflowExecution: creates the child run in `ns` with its parent recorded. A re-run
 * with the same request id finds the run it already created; an id in use is ALREADY_EXISTS.
 */
export async function startChildExecution(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: StartChildExecutionRequest,
  _ctx: CallContext,
): Promise<{ runId: string }> {
  const attrs = req.attributes;
  const workflowId = attrs.workflowId ?? '';
  // The parent's command was checked when it was recorded; a schedule refused since is refused here, never INTERNAL.
  const cronError = cronScheduleError(attrs.cronSchedule);
  if (cronError) throw ServiceError.invalidArgument(cronError);
  const outcome = await engine.create(ns.id, workflowId, (scope) =>
    decideStart(scope, ns.id, {
      workflowId,
      workflowType: attrs.workflowType?.name ?? '',
      taskQueue: attrs.taskQueue?.name ?? '',
      input: attrs.input,
      header: attrs.header,
      memo: attrs.memo,
      searchAttributes: attrs.searchAttributes,
      executionTimeout: attrs.workflowExecutionTimeout,
      runTimeout: attrs.workflowRunTimeout,
      taskTimeout: attrs.workflowTaskTimeout,
      identity: '',
      requestId: req.requestId,
      reusePolicy: attrs.workflowIdReusePolicy ?? 0,
      conflictPolicy: 0,
      retryPolicy: attrs.retryPolicy,
      cronSchedule: attrs.cronSchedule,
      parent: { ...req.parent },
    }),
  );
  return { runId: outcome.runId };
}

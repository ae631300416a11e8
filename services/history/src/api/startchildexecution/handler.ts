import type { CallContext, NamespaceRef, StartChildExecutionRequest } from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { startRun } from '../startworkflow/start-run.js';

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
  const outcome = await startRun(engine, ns, {
    workflowId: attrs.workflowId ?? '',
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
  });
  return { runId: outcome.runId };
}

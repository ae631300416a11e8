import { ServiceError } from '@odin/api';
import type { CallContext, NamespaceRef } from '@odin/api';
import { WorkflowStatus } from '@odin/persistence';
import type { HistoryEngine } from '../../engine.js';
import { closeRun } from '../../state/close.js';
import { EventType } from '../../state/history-builder.js';
import type { Mutation } from '../../state/history-builder.js';
import { isRunning } from '../../state/mutable-state.js';
import { failInFlightWorkflowTaskForClose } from '../../state/workflow-task.js';
import type { Payloads } from '../../util/codec.js';
import type { Req, Res } from '../types.js';

/** Terminated closes the run at once: an in-flight workflow task fails, buffered events are written first. */
export function terminateInMutation(
  mut: Mutation,
  reason: string,
  identity: string,
  details: Payloads | null | undefined,
): void {
  failInFlightWorkflowTaskForClose(mut);
  closeRun(mut, WorkflowStatus.TERMINATED, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, {
    workflowExecutionTerminatedEventAttributes: { reason, details: details ?? null, identity },
  });
}

export async function terminateWorkflowExecution(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'TerminateWorkflowExecutionRequest'>,
  _ctx: CallContext,
): Promise<Res<'TerminateWorkflowExecutionResponse'>> {
  const workflowId = req.workflowExecution?.workflowId ?? '';
  if (!workflowId) throw ServiceError.invalidArgument('WorkflowId is not set on the request.');
  await engine.update(ns.id, workflowId, req.workflowExecution?.runId, (mut) => {
    if (!isRunning(mut.ms)) throw ServiceError.notFound('Workflow execution already completed.');
    if (req.firstExecutionRunId && req.firstExecutionRunId !== mut.ms.firstExecutionRunId) {
      throw ServiceError.notFound('Workflow execution not found for the given first execution run id.');
    }
    terminateInMutation(mut, req.reason ?? '', req.identity ?? '', req.details);
  });
  return {};
}

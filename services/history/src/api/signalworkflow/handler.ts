import { ServiceError } from '@odin/api';
import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { signalRun } from '../../state/signal.js';

export async function signalWorkflowExecution(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'SignalWorkflowExecutionRequest'>,
  _ctx: CallContext,
): Promise<Res<'SignalWorkflowExecutionResponse'>> {
  const workflowId = req.workflowExecution?.workflowId ?? '';
  if (!workflowId) throw ServiceError.invalidArgument('WorkflowId is not set on the request.');
  if (!req.signalName) throw ServiceError.invalidArgument('SignalName is not set on the request.');
  await engine.update(ns.id, workflowId, req.workflowExecution?.runId, (mut) =>
    signalRun(mut, {
      name: req.signalName ?? '',
      input: req.input,
      header: req.header,
      identity: req.identity ?? '',
      requestId: req.requestId ?? '',
    }),
  );
  return {};
}

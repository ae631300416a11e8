import { ServiceError } from '@odin/api';
import type { CallContext, NamespaceRef } from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { EventType } from '../../state/history-builder.js';
import type { Mutation } from '../../state/history-builder.js';
import { isRunning } from '../../state/mutable-state.js';
import { scheduleWorkflowTask } from '../../state/workflow-task.js';
import type { StartSignal } from '../startworkflow/start-run.js';
import type { Req, Res } from '../types.js';

const MAX_REMEMBERED_SIGNAL_REQUESTS = 1_000;

/** Appends (or buffers) WorkflowExecutionSignaled once per request id and makes sure a workflow task follows. */
export function signalInMutation(mut: Mutation, signal: StartSignal): void {
  const ms = mut.ms;
  if (!isRunning(ms)) throw ServiceError.notFound('Workflow execution already completed.');
  if (signal.requestId && ms.signalRequestIds.includes(signal.requestId)) return;
  mut.addOrBuffer(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED, {
    workflowExecutionSignaledEventAttributes: {
      signalName: signal.name,
      input: signal.input ?? null,
      identity: signal.identity,
      header: signal.header ?? null,
      requestId: signal.requestId,
    },
  });
  if (signal.requestId) {
    ms.signalRequestIds.push(signal.requestId);
    if (ms.signalRequestIds.length > MAX_REMEMBERED_SIGNAL_REQUESTS) ms.signalRequestIds.shift();
  }
  scheduleWorkflowTask(mut);
}

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
    signalInMutation(mut, {
      name: req.signalName ?? '',
      input: req.input,
      header: req.header,
      identity: req.identity ?? '',
      requestId: req.requestId ?? '',
    }),
  );
  return {};
}

import { ServiceError } from '@odin/api';
import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { clientStartParams, validateStart } from '../../state/new-run.js';
import { signalRun } from '../../state/signal.js';
import { decideStart } from '../../state/start.js';

/** Signals the running run, or starts a new one with the signal as its second event. */
export async function signalWithStartWorkflowExecution(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'SignalWithStartWorkflowExecutionRequest'>,
  _ctx: CallContext,
): Promise<Res<'SignalWithStartWorkflowExecutionResponse'>> {
  const params = clientStartParams(req, engine.uuid);
  validateStart(params);
  if (!req.signalName) throw ServiceError.invalidArgument('SignalName is not set on the request.');
  const signal = {
    name: req.signalName,
    input: req.signalInput,
    header: req.header,
    identity: params.identity,
    requestId: params.requestId,
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    const outcome = await engine.create(ns.id, params.workflowId, (scope) =>
      decideStart(scope, ns.id, params, signal),
    );
    if (outcome.kind === 'started') return { runId: outcome.runId, started: true };
    if (!outcome.running) return { runId: outcome.runId, started: false };
    try {
      await engine.update(ns.id, params.workflowId, outcome.runId, (mut) => signalRun(mut, signal));
      return { runId: outcome.runId, started: false };
    } catch (error) {
      // The run closed between the two steps: start a new one.
      if (!(error instanceof ServiceError) || error.code !== 5) throw error;
    }
  }
  throw ServiceError.unavailable('Signal-with-start raced with the run closing repeatedly; retry.');
}

import { ServiceError } from '@odin/api';
import type { CallContext, NamespaceRef } from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { signalInMutation } from '../signalworkflow/handler.js';
import { startParams } from '../startworkflow/handler.js';
import { startRun, validateStart } from '../startworkflow/start-run.js';
import type { Req, Res } from '../types.js';

/** Signals the running run, or starts a new one with the signal as its second event. */
export async function signalWithStartWorkflowExecution(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'SignalWithStartWorkflowExecutionRequest'>,
  _ctx: CallContext,
): Promise<Res<'SignalWithStartWorkflowExecutionResponse'>> {
  const params = startParams(engine, req);
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
    const outcome = await startRun(engine, ns, params, signal);
    if (outcome.kind === 'started') return { runId: outcome.runId, started: true };
    if (!outcome.running) return { runId: outcome.runId, started: false };
    try {
      await engine.update(ns.id, params.workflowId, outcome.runId, (mut) => signalInMutation(mut, signal));
      return { runId: outcome.runId, started: false };
    } catch (error) {
      // The run closed between the two steps: start a new one.
      if (!(error instanceof ServiceError) || error.code !== 5) throw error;
    }
  }
  throw ServiceError.unavailable('Signal-with-start raced with the run closing repeatedly; retry.');
}

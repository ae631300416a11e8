import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import { clientStartParams, validateStart } from '../../state/new-run.js';
import { workflowTaskResponse } from '../../state/poll-responses.js';
import { historyPaging } from '../../context.js';
import { decideStart } from '../../state/start.js';

export async function startWorkflowExecution(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'StartWorkflowExecutionRequest'>,
  _ctx: CallContext,
): Promise<Res<'StartWorkflowExecutionResponse'>> {
  const params = {
    ...clientStartParams(req, engine.uuid),
    eager: req.requestEagerExecution === true && engine.options.eagerWorkflowStart,
  };
  validateStart(params);
  const outcome = await engine.create(ns.id, params.workflowId, (scope) => decideStart(scope, ns.id, params));
  if (outcome.kind === 'existing') return { runId: outcome.runId, started: !outcome.running };
  const { ms, events } = outcome.first;
  const wft = ms.workflowTask;
  // Only an eager start answers with the first workflow task; one handed to a waiting poll in the creating
  // transition (workflow-task-handoff.ts) is that poll's.
  if (!params.eager || !wft || wft.startedEventId === 0) return { runId: outcome.runId, started: true };
  // The first workflow task started with the run: the new run's whole history is the creating transition's events.
  // Nothing is replayed (workflow_replay_count counts whole histories sent after a completed task of the run).
  const eagerWorkflowTask = await workflowTaskResponse(
    async (from, to) => events.slice(from - 1, to - 1),
    historyPaging(engine.options),
    ms,
    wft,
    {},
  );
  return { runId: outcome.runId, started: true, eagerWorkflowTask };
}

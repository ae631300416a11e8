import type { CallContext, NamespaceRef } from '@odin/api';
import type { HistoryEngine } from '../../engine.js';
import type { Req, Res } from '../types.js';
import { startRun, validateStart } from './start-run.js';
import type { StartParams } from './start-run.js';

export function startParams(
  engine: HistoryEngine,
  req: Req<'StartWorkflowExecutionRequest'> | Req<'SignalWithStartWorkflowExecutionRequest'>,
): StartParams {
  return {
    workflowId: req.workflowId ?? '',
    workflowType: req.workflowType?.name ?? '',
    taskQueue: req.taskQueue?.name ?? '',
    input: req.input,
    header: req.header,
    memo: req.memo,
    searchAttributes: req.searchAttributes,
    executionTimeout: req.workflowExecutionTimeout,
    runTimeout: req.workflowRunTimeout,
    taskTimeout: req.workflowTaskTimeout,
    identity: req.identity ?? '',
    requestId: req.requestId || engine.uuid(),
    reusePolicy: req.workflowIdReusePolicy ?? 0,
    conflictPolicy: 'workflowIdConflictPolicy' in req ? (req.workflowIdConflictPolicy ?? 0) : 0,
    retryPolicy: req.retryPolicy,
    cronSchedule: req.cronSchedule,
    userMetadata: req.userMetadata,
    startDelay: 'workflowStartDelay' in req ? req.workflowStartDelay : null,
  };
}

export async function startWorkflowExecution(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'StartWorkflowExecutionRequest'>,
  _ctx: CallContext,
): Promise<Res<'StartWorkflowExecutionResponse'>> {
  const params = { ...startParams(engine, req), eager: req.requestEagerExecution === true };
  validateStart(params);
  const outcome = await startRun(engine, ns, params);
  return {
    runId: outcome.runId,
    started: !(outcome.kind === 'existing' && outcome.running),
    ...(outcome.kind === 'started' && outcome.eagerWorkflowTask
      ? { eagerWorkflowTask: outcome.eagerWorkflowTask }
      : {}),
  };
}

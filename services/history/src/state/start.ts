import { ServiceError, temporal } from '@odin/api';
import { WorkflowStatus } from '@odin/persistence';
import type { CurrentExecutionMode } from '@odin/persistence';
import type { CreateScope, Creation, Mutation } from './history-builder.js';
import { buildNewRun } from './new-run.js';
import type { StartParams } from './new-run.js';
import type { WorkflowSignal } from './signal.js';
import { terminateRun } from './terminate.js';

const ReusePolicy = temporal.api.enums.v1.WorkflowIdReusePolicy;
const ConflictPolicy = temporal.api.enums.v1.WorkflowIdConflictPolicy;

export type StartOutcome =
  /** A new run; `first` is its first transition as committed. */
  | { kind: 'started'; runId: string; first: Mutation }
  /** No new run: the request was already served (running false) or the caller acts on the running run instead. */
  | { kind: 'existing'; runId: string; running: boolean };

/**
 * Decides a start (or finds the run a retried request already started), applying the id-reuse and id-conflict
 * policies to the workflow's current run. With `signal`, the signal event goes right after WorkflowExecutionStarted,
 * and a running run is answered 'existing' with running=true for the caller to signal (as with USE_EXISTING).
 * Terminate-if-running terminates the current run in the same transaction.
 */
export async function decideStart(
  scope: CreateScope,
  namespaceId: string,
  p: StartParams,
  signal?: WorkflowSignal,
): Promise<Creation<StartOutcome>> {
  const current = scope.current;
  let mode: CurrentExecutionMode = { mode: 'brand-new' };
  if (current) {
    if (current.createRequestId === p.requestId) {
      return { result: { kind: 'existing', runId: current.runId, running: false } };
    }
    if (current.status === WorkflowStatus.RUNNING) {
      if (signal) return { result: { kind: 'existing', runId: current.runId, running: true } };
      const terminateExisting =
        p.reusePolicy === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING ||
        p.conflictPolicy === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING;
      if (p.conflictPolicy === ConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING) {
        return { result: { kind: 'existing', runId: current.runId, running: true } };
      }
      if (!terminateExisting) {
        throw ServiceError.workflowAlreadyStarted(
          `Workflow execution is already running. WorkflowId: ${p.workflowId}, RunId: ${current.runId}.`,
          current.createRequestId,
          current.runId,
        );
      }
      terminateRun(
        await scope.open(current.runId),
        'TerminateIfRunning WorkflowIdReusePolicy',
        p.identity,
        null,
      );
    } else {
      const failedOnly = p.reusePolicy === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY;
      if (
        p.reusePolicy === ReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE ||
        (failedOnly && current.status === WorkflowStatus.COMPLETED)
      ) {
        throw ServiceError.workflowAlreadyStarted(
          `Workflow execution already finished and the WorkflowIdReusePolicy forbids starting it again. WorkflowId: ${p.workflowId}, RunId: ${current.runId}.`,
          current.createRequestId,
          current.runId,
        );
      }
    }
    mode = { mode: 'replace', expectedCurrentRunId: current.runId };
  }
  const runId = scope.uuid();
  const first = buildNewRun(scope, namespaceId, p, runId, signal ? { signal } : {});
  return {
    result: { kind: 'started', runId, first },
    create: { mut: first, current: mode, requestId: p.requestId },
  };
}

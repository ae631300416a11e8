import { temporal } from '@odin/api';
import type { temporal as T } from '@temporalio/proto';
import type { Failure, Payloads } from '../util/codec.js';
import type { Loose } from '../util/proto.js';
import { decideRetryWith } from './activity.js';
import { parseCron } from './cron.js';
import type { Mutation } from './history-builder.js';
import { buildNewRun, type StartParams } from './new-run.js';

const Initiator = temporal.api.enums.v1.ContinueAsNewInitiator;
const RetryState = temporal.api.enums.v1.RetryState;

export type StartedAttributes = Loose<T.api.history.v1.IWorkflowExecutionStartedEventAttributes>;

/** What a later run of the chain (continue-as-new, retry, cron, reset) takes over from a run's started event. */
export function paramsFromStarted(
  started: StartedAttributes,
): Pick<StartParams, 'input' | 'header' | 'memo' | 'searchAttributes' | 'runTimeout' | 'taskTimeout'> {
  return {
    input: started.input as T.api.common.v1.IPayloads | null | undefined,
    header: started.header as T.api.common.v1.IHeader | null | undefined,
    memo: started.memo as T.api.common.v1.IMemo | null | undefined,
    searchAttributes: started.searchAttributes as T.api.common.v1.ISearchAttributes | null | undefined,
    runTimeout: started.workflowRunTimeout ?? null,
    taskTimeout: started.workflowTaskTimeout ?? null,
  };
}

/** What follows a closing run: nothing, a retry (failure / run timeout) or the next cron run. */
export interface NextRun {
  runId: string;
  backoffMs: number;
  initiator: number;
  attempt: number;
}

/**
 * Decides the chain's next run for a run closing with `outcome`: a retry when the retry policy allows one (failures
 * and run timeouts), else the next cron run (completions, failures, run timeouts), else none. Also returns the
 * retry state to write on the close event.
 */
export function decideNextRun(
  mut: Mutation,
  outcome: { kind: 'completed' } | { kind: 'failed' | 'timed-out'; failure: Failure | undefined },
  started: StartedAttributes | null | undefined,
): { next?: NextRun; retryState: T.api.enums.v1.RetryState } {
  const ms = mut.ms;
  let retryState: T.api.enums.v1.RetryState =
    outcome.kind === 'timed-out'
      ? RetryState.RETRY_STATE_TIMEOUT
      : RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET;
  if (!started) return { retryState };
  if (outcome.kind !== 'completed' && ms.retryPolicy) {
    const decision = decideRetryWith(
      ms.retryPolicy,
      ms.attempt ?? 1,
      mut.now,
      ms.executionExpirationTime,
      outcome.failure,
    );
    if (decision.retry) {
      return {
        retryState: RetryState.RETRY_STATE_IN_PROGRESS,
        next: {
          runId: mut.uuid(),
          backoffMs: decision.backoffMs,
          initiator: Initiator.CONTINUE_AS_NEW_INITIATOR_RETRY,
          attempt: (ms.attempt ?? 1) + 1,
        },
      };
    }
    if (outcome.kind === 'failed' || decision.state !== RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE) {
      retryState = decision.state;
    }
  }
  if (ms.cronSchedule) {
    const fireAt = parseCron(ms.cronSchedule).next(mut.now);
    if (fireAt !== undefined && (ms.executionExpirationTime === 0 || fireAt < ms.executionExpirationTime)) {
      return {
        retryState,
        next: {
          runId: mut.uuid(),
          backoffMs: fireAt - mut.now,
          initiator: Initiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE,
          attempt: 1,
        },
      };
    }
  }
  return { retryState };
}

/**
 * Creates the chain's next run (retry or cron): same workflow id, type, queue, input, header, memo, search
 * attributes, timeouts, retry policy and cron schedule; its first workflow task after the backoff. Committed with
 * the closing run (Mutation.newRun), replacing it as the current run.
 */
export function startChainedRun(
  mut: Mutation,
  started: StartedAttributes,
  next: NextRun,
  failure: Failure | null,
  completionResult: Payloads | null,
): void {
  const ms = mut.ms;
  ms.newExecutionRunId = next.runId;
  const run = buildNewRun(
    mut,
    ms.namespaceId,
    {
      workflowId: ms.workflowId,
      workflowType: ms.workflowType,
      taskQueue: ms.taskQueue,
      ...paramsFromStarted(started),
      identity: started.identity ?? '',
      requestId: mut.uuid(),
      reusePolicy: 0,
      conflictPolicy: 0,
      retryPolicy: started.retryPolicy as T.api.common.v1.IRetryPolicy | null | undefined,
      cronSchedule: started.cronSchedule ?? '',
    },
    next.runId,
    {
      continuation: {
        continuedExecutionRunId: ms.runId,
        firstExecutionRunId: ms.firstExecutionRunId,
        executionExpirationTime: ms.executionExpirationTime,
        initiator: next.initiator,
        continuedFailure: failure,
        // A cron run sees the last successful result of the chain.
        lastCompletionResult:
          completionResult ??
          (started.lastCompletionResult as T.api.common.v1.IPayloads | null | undefined) ??
          null,
        attempt: next.attempt,
        backoffMs: next.backoffMs,
        ...(ms.parent ? { parent: ms.parent } : {}),
      },
    },
  );
  mut.newRun = {
    mut: run,
    current: { mode: 'replace', expectedCurrentRunId: ms.runId },
    requestId: run.ms.createRequestId,
  };
}

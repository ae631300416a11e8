import { encodeTaskToken, ServiceError, temporal, withDeadline } from '@odin/api';
import type {
  CallContext,
  NamespaceRef,
  WorkflowServiceRequest as Req,
  WorkflowServiceResponse as Res,
} from '@odin/api';
import { status } from '@grpc/grpc-js';
import type { temporal as T } from '@temporalio/proto';
import { runKey } from '../../cache.js';
import { BLOB_SIZE_EXCEEDS_LIMIT } from '../../commands/payload-limits.js';
import type { HistoryEngine } from '../../engine.js';
import { isRunning } from '../../state/mutable-state.js';
import { workflowNotReady } from '../../state/updates.js';
import { asProto } from '../../util/proto.js';

const RejectCondition = temporal.api.enums.v1.QueryRejectCondition;
const ResultType = temporal.api.enums.v1.QueryResultType;
const DEFAULT_QUERY_TIMEOUT_MS = 60_000;

/**
 * Queries a run: on a closed run or one with no workflow task pending, the query goes straight to a worker through
 * matching; otherwise it rides on the next workflow task. A query before the first workflow task completed waits
 * for it; on a run that closed before any workflow task completed it fails with FAILED_PRECONDITION
 * (WorkflowNotReadyFailure), as Temporal answers. Without a worker the call blocks until the caller's deadline
 * (DEADLINE_EXCEEDED).
 */
export async function queryWorkflow(
  engine: HistoryEngine,
  ns: NamespaceRef,
  req: Req<'QueryWorkflowRequest'>,
  ctx: CallContext,
): Promise<Res<'QueryWorkflowResponse'>> {
  const workflowId = req.execution?.workflowId ?? '';
  if (!workflowId) throw ServiceError.invalidArgument('Execution.WorkflowId is not set on the request.');
  if (!req.query?.queryType) throw ServiceError.invalidArgument('Query.QueryType is not set on the request.');
  const query = req.query;
  const deadline = ctx.deadline ?? engine.now() + DEFAULT_QUERY_TIMEOUT_MS;
  const queryId = engine.uuid();
  for (;;) {
    const step = await engine.read(ns.id, workflowId, req.execution?.runId, async (run) => {
      const ms = run.ms;
      if (!isRunning(ms)) {
        const condition = req.queryRejectCondition ?? 0;
        if (
          condition === RejectCondition.QUERY_REJECT_CONDITION_NOT_OPEN ||
          (condition === RejectCondition.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY && ms.status !== 2)
        ) {
          return { kind: 'rejected', status: ms.status } as const;
        }
        // No workflow task ever completed: no worker can rebuild a state to query (its history holds no
        // completed task to replay up to), so the query fails at once instead of reaching a worker.
        if (ms.lastCompletedStartedEventId === 0) {
          throw workflowNotReady('Workflow closed before task started.');
        }
      } else if (ms.lastCompletedStartedEventId === 0) {
        return { kind: 'wait-first', key: runKey(ms.namespaceId, ms.workflowId, ms.runId) } as const;
      } else if (ms.workflowTask) {
        return { kind: 'pending', pending: engine.queries.register(ms, queryId, query) } as const;
      }
      const events = await engine.readEvents(run, 1, ms.nextEventId);
      const response = asProto<Res<'PollWorkflowTaskQueueResponse'>>({
        taskToken: encodeTaskToken({ kind: 'query', namespaceId: ns.id, queryId, taskQueue: ms.taskQueue }),
        workflowExecution: { workflowId: ms.workflowId, runId: ms.runId },
        workflowType: { name: ms.workflowType },
        previousStartedEventId: ms.lastCompletedStartedEventId,
        startedEventId: ms.lastCompletedStartedEventId,
        attempt: 1,
        history: { events },
        nextPageToken: new Uint8Array(),
        query,
        workflowExecutionTaskQueue: {
          name: ms.taskQueue,
          kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL,
        },
        queries: {},
        messages: [],
      });
      return { kind: 'direct', taskQueue: ms.taskQueue, response } as const;
    });
    if (step.kind === 'rejected') return { queryRejected: { status: step.status } };
    if (step.kind === 'wait-first') {
      const woke = await engine.waiters.wait(step.key, deadline - engine.now(), ctx.signal);
      if (!woke) throw timedOut(ctx);
      continue;
    }
    if (step.kind === 'pending') {
      const outcome = await raceDeadline(engine, step.pending.promise, deadline, ctx.signal);
      if (!outcome) {
        step.pending.cancel();
        throw timedOut(ctx);
      }
      if (outcome.kind === 'answered') return fromResult(outcome.result);
      // As Temporal's history service answers a consistent query whose result is over the blob size limit.
      if (outcome.kind === 'too-large') throw ServiceError.invalidArgument(BLOB_SIZE_EXCEEDS_LIMIT);
      continue;
    }
    const answer = await engine.matching.dispatchQuery(
      ns,
      { taskQueue: step.taskQueue, response: step.response, queryId },
      withDeadline(ctx, deadline),
    );
    if (answer.completedType === ResultType.QUERY_RESULT_TYPE_ANSWERED)
      return { queryResult: answer.queryResult };
    throw queryFailed(answer.errorMessage ?? 'query failed', answer.failure);
  }
}

function fromResult(result: T.api.query.v1.IWorkflowQueryResult): Res<'QueryWorkflowResponse'> {
  if (result.resultType === ResultType.QUERY_RESULT_TYPE_ANSWERED) return { queryResult: result.answer };
  throw queryFailed(result.errorMessage ?? 'query failed', result.failure);
}

function queryFailed(message: string, failure: T.api.failure.v1.IFailure | null | undefined): ServiceError {
  return new ServiceError(status.INVALID_ARGUMENT, message, {
    typeName: 'temporal.api.errordetails.v1.QueryFailedFailure',
    value: failure ? { failure } : {},
  });
}

function timedOut(ctx: CallContext): ServiceError {
  return ctx.signal.aborted
    ? ServiceError.canceled('The query was cancelled by the caller.')
    : ServiceError.deadlineExceeded('No worker answered the query before the deadline.');
}

async function raceDeadline<T>(
  engine: HistoryEngine,
  promise: Promise<T>,
  deadline: number,
  signal: AbortSignal,
): Promise<T | undefined> {
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await Promise.race([
      promise,
      engine.clock.sleep(Math.max(0, deadline - engine.now()), controller.signal).then(
        () => undefined,
        () => undefined,
      ),
    ]);
  } finally {
    signal.removeEventListener('abort', onAbort);
    controller.abort();
  }
}

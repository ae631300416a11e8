import { createHash } from 'node:crypto';
import { ServiceError, temporal } from '@odin/api';
import { type FrontendService, INTERNAL_CREDENTIALS, WORKFLOW_SERVICE } from '@odin/frontend';
import type { BatchCalls } from '@odin/worker-service';

/** gRPC status codes (grpc-js is not a runtime dependency of this package). */
const NOT_FOUND = 5;
const WORKFLOW_TASK_COMPLETED = temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
const ResetType = temporal.api.enums.v1.ResetType;

type Invoke = (method: string, request: object, signal: AbortSignal) => Promise<object>;
type ResetOperation = NonNullable<Parameters<BatchCalls['apply']>[1]['resetOperation']>;

/**
 * The WorkflowTaskCompleted event a batch reset goes back to: the first or last one of the run's history, or the
 * event id given. FAILED_PRECONDITION when the run has none (it counts as a failure of that execution).
 */
async function resetPoint(
  call: Invoke,
  namespace: string,
  execution: { workflowId: string; runId: string },
  op: ResetOperation,
  signal: AbortSignal,
): Promise<number> {
  // Unset scalars decode as 0: an event id of 0 is no event id.
  const given = Number(op.options?.workflowTaskId ?? 0);
  if (given > 0) return given;
  const last =
    op.options?.lastWorkflowTask != null || op.resetType === ResetType.RESET_TYPE_LAST_WORKFLOW_TASK;
  let found: number | undefined;
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = (await call(
      'GetWorkflowExecutionHistory',
      { namespace, execution, maximumPageSize: 1000, nextPageToken: nextPageToken ?? null },
      signal,
    )) as { history?: { events?: { eventId?: unknown; eventType?: number }[] }; nextPageToken?: Uint8Array };
    for (const event of page.history?.events ?? []) {
      if (event.eventType !== WORKFLOW_TASK_COMPLETED) continue;
      found = Number(event.eventId);
      if (!last) return found;
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  if (found === undefined)
    throw ServiceError.failedPrecondition('the run has no completed workflow task to reset to');
  return found;
}

/**
 * The batch runner's workflow calls, made through the frontend in process as the system's own caller
 * (INTERNAL_CREDENTIALS), so each operation gets the frontend's validation and routing and passes authorization
 * when it is on. A terminate, cancel or delete of a run that is already gone counts as done, as in Temporal.
 */
export function frontendBatchCalls(frontend: FrontendService): BatchCalls {
  const call = (method: string, request: object, signal: AbortSignal) =>
    frontend.invoke(WORKFLOW_SERVICE, method, request, { credentials: INTERNAL_CREDENTIALS, signal });
  const goneIsDone = (error: unknown) => {
    if (error instanceof ServiceError && error.code === NOT_FOUND) return;
    throw error;
  };
  return {
    async list(namespace, query, pageToken, signal) {
      const page = (await call(
        'ListWorkflowExecutions',
        { namespace, query, pageSize: 1000, nextPageToken: pageToken ?? null },
        signal,
      )) as {
        executions?: { execution?: { workflowId?: string; runId?: string } }[];
        nextPageToken?: Uint8Array;
      };
      return {
        executions: (page.executions ?? []).map((e) => ({
          workflowId: e.execution?.workflowId ?? '',
          runId: e.execution?.runId ?? '',
        })),
        ...(page.nextPageToken?.length ? { nextPageToken: page.nextPageToken } : {}),
      };
    },
    async apply(namespace, request, target, signal) {
      const workflowExecution = { workflowId: target.workflowId, runId: target.runId };
      const reason = request.reason ?? '';
      if (request.terminationOperation) {
        await call(
          'TerminateWorkflowExecution',
          {
            namespace,
            workflowExecution,
            reason,
            details: request.terminationOperation.details ?? null,
            identity: request.terminationOperation.identity ?? '',
          },
          signal,
        ).catch(goneIsDone);
      } else if (request.cancellationOperation) {
        await call(
          'RequestCancelWorkflowExecution',
          { namespace, workflowExecution, reason, identity: request.cancellationOperation.identity ?? '' },
          signal,
        ).catch(goneIsDone);
      } else if (request.signalOperation) {
        const op = request.signalOperation;
        await call(
          'SignalWorkflowExecution',
          {
            namespace,
            workflowExecution,
            signalName: op.signal ?? '',
            input: op.input ?? null,
            header: op.header ?? null,
            identity: op.identity ?? '',
          },
          signal,
        );
      } else if (request.deletionOperation) {
        await call('DeleteWorkflowExecution', { namespace, workflowExecution }, signal).catch(goneIsDone);
      } else if (request.resetOperation) {
        const op = request.resetOperation;
        // The run a reset goes back in is fixed first: its history gives the event id.
        let runId = target.runId;
        if (!runId) {
          const described = (await call(
            'DescribeWorkflowExecution',
            { namespace, execution: { workflowId: target.workflowId } },
            signal,
          )) as { workflowExecutionInfo?: { execution?: { runId?: string } } };
          runId = described.workflowExecutionInfo?.execution?.runId ?? '';
        }
        const execution = { workflowId: target.workflowId, runId };
        const eventId = await resetPoint(call, namespace, execution, op, signal);
        // A request id derived from the job and the run: a chunk done again resets nothing twice.
        const requestId = createHash('sha256')
          .update(`${request.jobId ?? ''}\n${target.workflowId}\n${runId}`)
          .digest('hex');
        await call(
          'ResetWorkflowExecution',
          {
            namespace,
            workflowExecution: execution,
            reason,
            workflowTaskFinishEventId: eventId,
            requestId,
            resetReapplyType: op.options?.resetReapplyType ?? op.resetReapplyType ?? 0,
            resetReapplyExcludeTypes: op.options?.resetReapplyExcludeTypes ?? [],
            identity: op.identity ?? '',
          },
          signal,
        );
      } else {
        throw ServiceError.invalidArgument('batch operation type is not supported');
      }
    },
  };
}

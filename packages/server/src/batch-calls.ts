import { ServiceError } from '@odin/api';
import { type FrontendService, INTERNAL_CREDENTIALS, WORKFLOW_SERVICE } from '@odin/frontend';
import type { BatchCalls } from '@odin/worker-service';

/** gRPC status codes (grpc-js is not a runtime dependency of this package). */
const NOT_FOUND = 5;

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
      } else {
        throw ServiceError.invalidArgument('batch operation type is not supported');
      }
    },
  };
}

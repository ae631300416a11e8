import { ServiceError } from '@odin/api';
import { type FrontendService, INTERNAL_CREDENTIALS, WORKFLOW_SERVICE } from '@odin/frontend';
import type { ScheduleWorkflows } from '@odin/worker-service';

const IDENTITY = 'temporal-scheduler';
/** gRPC status codes (grpc-js is not a runtime dependency of this package). */
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;

/**
 * The schedule runner's workflow calls, made through the frontend in process as the system's own caller
 * (INTERNAL_CREDENTIALS), so they get the frontend's validation, search-attribute checks and routing, and pass
 * authorization when it is on.
 */
export function frontendScheduleWorkflows(frontend: FrontendService): ScheduleWorkflows {
  const call = (method: string, request: object, signal: AbortSignal) =>
    frontend.invoke(WORKFLOW_SERVICE, method, request, { credentials: INTERNAL_CREDENTIALS, signal });
  const ignoreGone = (error: unknown) => {
    // The run is gone or already closed: nothing left to end.
    if (error instanceof ServiceError && (error.code === NOT_FOUND || error.code === FAILED_PRECONDITION))
      return;
    throw error;
  };
  return {
    async start(_namespace, request, signal) {
      const response = (await call('StartWorkflowExecution', request, signal)) as { runId?: string };
      return response.runId ?? '';
    },
    async status(namespace, execution, signal) {
      try {
        const response = (await call('DescribeWorkflowExecution', { namespace, execution }, signal)) as {
          workflowExecutionInfo?: { status?: number };
        };
        return response.workflowExecutionInfo?.status ?? undefined;
      } catch (error) {
        if (error instanceof ServiceError && error.code === NOT_FOUND) return undefined;
        throw error;
      }
    },
    async requestCancel(namespace, execution, reason, signal) {
      await call(
        'RequestCancelWorkflowExecution',
        { namespace, workflowExecution: execution, reason, identity: IDENTITY },
        signal,
      ).catch(ignoreGone);
    },
    async terminate(namespace, execution, reason, signal) {
      await call(
        'TerminateWorkflowExecution',
        { namespace, workflowExecution: execution, reason, identity: IDENTITY },
        signal,
      ).catch(ignoreGone);
    },
  };
}

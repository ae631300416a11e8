import { ServiceError } from '@odin/api';
import { type FrontendService, INTERNAL_CREDENTIALS, WORKFLOW_SERVICE } from '@odin/frontend';
import type { ScheduleWorkflows } from '@odin/worker-service';

const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;
const IDENTITY = 'temporal-scheduler';

/**
 * The schedule runner's calls through the frontend of its own process, as `frontendScheduleWorkflows` in
 * @odin/server makes them (that package is not a dependency of the simulation): its starts cross the simulated
 * network from the frontend to history like any other.
 */
export function simScheduleWorkflows(frontend: FrontendService): ScheduleWorkflows {
  const call = (method: string, request: object, signal: AbortSignal) =>
    frontend.invoke(WORKFLOW_SERVICE, method, request, { credentials: INTERNAL_CREDENTIALS, signal });
  const ignoreGone = (error: unknown) => {
    if (error instanceof ServiceError && (error.code === NOT_FOUND || error.code === FAILED_PRECONDITION))
      return;
    throw error;
  };
  return {
    async start(_namespace, request, signal) {
      return ((await call('StartWorkflowExecution', request, signal)) as { runId?: string }).runId ?? '';
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

import { ServiceError, temporal } from '@odin/api';
import { type FrontendService, INTERNAL_CREDENTIALS, WORKFLOW_SERVICE } from '@odin/frontend';
import type { RunStatus, ScheduleWorkflows } from '@odin/worker-service';

/** The part of a close event the runner keeps. */
interface CloseEvent {
  workflowExecutionCompletedEventAttributes?: { result?: RunStatus['result'] } | null;
  workflowExecutionFailedEventAttributes?: { failure?: RunStatus['failure'] } | null;
}

const IDENTITY = 'temporal-scheduler';
/** gRPC status codes (grpc-js is not a runtime dependency of this package). */
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;
const CLOSE_EVENT = temporal.api.enums.v1.HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
const Status = {
  COMPLETED: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
  FAILED: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED,
};

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
    async status(namespace, execution, signal, withOutcome) {
      let status: number | undefined;
      try {
        const response = (await call('DescribeWorkflowExecution', { namespace, execution }, signal)) as {
          workflowExecutionInfo?: { status?: number };
        };
        status = response.workflowExecutionInfo?.status ?? undefined;
      } catch (error) {
        if (error instanceof ServiceError && error.code === NOT_FOUND) return undefined;
        throw error;
      }
      if (status === undefined) return undefined;
      if (!withOutcome || (status !== Status.COMPLETED && status !== Status.FAILED)) return { status };
      // The close event holds what the run ended with (the result of a completion, the failure of a failure).
      const history = (await call(
        'GetWorkflowExecutionHistory',
        { namespace, execution, historyEventFilterType: CLOSE_EVENT },
        signal,
      ).catch((error) => {
        if (error instanceof ServiceError && error.code === NOT_FOUND) return {};
        throw error;
      })) as { history?: { events?: CloseEvent[] } };
      const close = history.history?.events?.at(-1);
      return {
        status,
        result: close?.workflowExecutionCompletedEventAttributes?.result ?? null,
        failure: close?.workflowExecutionFailedEventAttributes?.failure ?? null,
      };
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

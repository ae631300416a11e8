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
  CONTINUED_AS_NEW: temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
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
      const describe = async (ref: { workflowId: string; runId?: string }) => {
        try {
          const response = (await call(
            'DescribeWorkflowExecution',
            { namespace, execution: ref },
            signal,
          )) as {
            workflowExecutionInfo?: { status?: number; firstRunId?: string; execution?: { runId?: string } };
          };
          return response.workflowExecutionInfo;
        } catch (error) {
          if (error instanceof ServiceError && error.code === NOT_FOUND) return undefined;
          throw error;
        }
      };
      let info = await describe(execution);
      let runId = execution.runId;
      // A run that continued as new goes on in the chain's latest run (Temporal's watcher follows the chain too):
      // the workflow's current run, when its chain started with the run the schedule started.
      if (info?.status === Status.CONTINUED_AS_NEW) {
        const current = await describe({ workflowId: execution.workflowId });
        if (current?.firstRunId === execution.runId && current.execution?.runId) {
          info = current;
          runId = current.execution.runId;
        }
      }
      const status = info?.status ?? undefined;
      if (status === undefined) return undefined;
      if (!withOutcome || (status !== Status.COMPLETED && status !== Status.FAILED)) return { status };
      // The close event holds what the run ended with (the result of a completion, the failure of a failure).
      const history = (await call(
        'GetWorkflowExecutionHistory',
        {
          namespace,
          execution: { workflowId: execution.workflowId, runId },
          historyEventFilterType: CLOSE_EVENT,
        },
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

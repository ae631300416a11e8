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

interface HistoryEvent {
  eventId?: unknown;
  eventType?: number;
  workflowExecutionStartedEventAttributes?: { continuedExecutionRunId?: string | null } | null;
  workflowTaskCompletedEventAttributes?: {
    binaryChecksum?: string | null;
    workerVersion?: { buildId?: string | null } | null;
  } | null;
}

/**
 * The build id that completed a workflow task: its worker version stamp's, else its binary checksum (what the SDKs
 * send as the build id of a worker that does not use worker versioning; the TypeScript SDK 1.24 sends only that).
 */
function completedBy(event: HistoryEvent): string | undefined {
  const attrs = event.workflowTaskCompletedEventAttributes;
  return attrs?.workerVersion?.buildId || attrs?.binaryChecksum || undefined;
}

/** Every event of one run, page by page. */
async function* eventsOf(
  call: Invoke,
  namespace: string,
  execution: { workflowId: string; runId: string },
  signal: AbortSignal,
): AsyncGenerator<HistoryEvent> {
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = (await call(
      'GetWorkflowExecutionHistory',
      { namespace, execution, maximumPageSize: 1000, nextPageToken: nextPageToken ?? null },
      signal,
    )) as { history?: { events?: HistoryEvent[] }; nextPageToken?: Uint8Array };
    yield* page.history?.events ?? [];
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
}

/** Runs of a chain (continue-as-new, retries, cron) a reset by build id looks back through, as Temporal keeps 20 reset points. */
const MAX_RUNS_LOOKED_AT = 20;

/**
 * A reset by build id goes back to the first WorkflowTaskCompleted that build id recorded in the workflow's chain of
 * runs: Temporal's reset point for the build id. With `current_run_only`, a point
 * in an earlier run is refused. FAILED_PRECONDITION when there is none (a failure of that execution).
 */
async function buildIdResetPoint(
  call: Invoke,
  namespace: string,
  execution: { workflowId: string; runId: string },
  buildId: string,
  currentRunOnly: boolean,
  signal: AbortSignal,
): Promise<{ runId: string; eventId: number }> {
  let oldest: { runId: string; eventId: number } | undefined;
  let runId: string | undefined = execution.runId;
  for (let n = 0; runId && n < MAX_RUNS_LOOKED_AT; n++) {
    let previous: string | undefined;
    let found: number | undefined;
    for await (const event of eventsOf(
      call,
      namespace,
      { workflowId: execution.workflowId, runId },
      signal,
    )) {
      const started = event.workflowExecutionStartedEventAttributes;
      if (started) previous = started.continuedExecutionRunId || undefined;
      if (event.eventType === WORKFLOW_TASK_COMPLETED && completedBy(event) === buildId) {
        found = Number(event.eventId);
        break;
      }
    }
    if (found !== undefined) oldest = { runId, eventId: found };
    runId = previous;
  }
  if (!oldest) throw ServiceError.failedPrecondition(`Can't find reset point for ${buildId}`);
  if (currentRunOnly && oldest.runId !== execution.runId)
    throw ServiceError.failedPrecondition(
      `Reset point for ${buildId} points to previous run and CurrentRunOnly is set`,
    );
  return oldest;
}

/**
 * The run and WorkflowTaskCompleted event a batch reset goes back to: the first or last one of the run's history,
 * the event id given, or a build id's reset point. FAILED_PRECONDITION when there is none (it counts as a failure
 * of that execution).
 */
async function resetPoint(
  call: Invoke,
  namespace: string,
  execution: { workflowId: string; runId: string },
  op: ResetOperation,
  signal: AbortSignal,
): Promise<{ runId: string; eventId: number }> {
  const buildId = op.options?.buildId;
  if (buildId)
    return buildIdResetPoint(
      call,
      namespace,
      execution,
      buildId,
      op.options?.currentRunOnly === true,
      signal,
    );
  // Unset scalars decode as 0: an event id of 0 is no event id.
  const given = Number(op.options?.workflowTaskId ?? 0);
  if (given > 0) return { runId: execution.runId, eventId: given };
  const last =
    op.options?.lastWorkflowTask != null || op.resetType === ResetType.RESET_TYPE_LAST_WORKFLOW_TASK;
  let found: number | undefined;
  for await (const event of eventsOf(call, namespace, execution, signal)) {
    if (event.eventType !== WORKFLOW_TASK_COMPLETED) continue;
    found = Number(event.eventId);
    if (!last) break;
  }
  if (found === undefined)
    throw ServiceError.failedPrecondition('the run has no completed workflow task to reset to');
  return { runId: execution.runId, eventId: found };
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
        const point = await resetPoint(call, namespace, { workflowId: target.workflowId, runId }, op, signal);
        // A request id derived from the job and the run: a chunk done again resets nothing twice.
        const requestId = createHash('sha256')
          .update(`${request.jobId ?? ''}\n${target.workflowId}\n${runId}`)
          .digest('hex');
        await call(
          'ResetWorkflowExecution',
          {
            namespace,
            workflowExecution: { workflowId: target.workflowId, runId: point.runId },
            reason,
            workflowTaskFinishEventId: point.eventId,
            requestId,
            resetReapplyType: op.options?.resetReapplyType ?? op.resetReapplyType ?? 0,
            resetReapplyExcludeTypes: op.options?.resetReapplyExcludeTypes ?? [],
            postResetOperations: op.postResetOperations ?? [],
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

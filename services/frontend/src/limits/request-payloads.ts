import type { temporal as T } from '@temporalio/proto';
import { ServiceError, temporal } from '@odin/api';

/** Temporal's answer to a request payload over the blob size limit. */
export const BLOB_SIZE_EXCEEDS_LIMIT = 'Blob data size exceeds limit.';
/** Temporal's failures for an activity whose result, or heartbeat details, are over the blob size limit. */
export const COMPLETE_RESULT_EXCEEDS_LIMIT = 'Complete result exceeds size limit.';
export const HEARTBEAT_EXCEEDS_LIMIT = 'Heartbeat details exceed size limit.';

type Payloads = T.api.common.v1.IPayloads | null | undefined;

const payloadsSize = (p: Payloads): number =>
  p ? temporal.api.common.v1.Payloads.encode(p).finish().length : 0;

/** Where each method carries client payloads that become history. */
const REFUSED = new Map<string, (req: Record<string, unknown>) => Payloads[]>([
  ['StartWorkflowExecution', (req) => [req.input as Payloads]],
  ['SignalWorkflowExecution', (req) => [req.input as Payloads]],
  ['SignalWithStartWorkflowExecution', (req) => [req.input as Payloads, req.signalInput as Payloads]],
  [
    'ResetWorkflowExecution',
    (req) =>
      ((req.postResetOperations ?? []) as { signalWorkflow?: { input?: Payloads } | null }[]).map(
        (op) => op.signalWorkflow?.input,
      ),
  ],
]);

/**
 * An activity completion or heartbeat with too large a payload turns into the activity's failure, as Temporal's
 * frontend does, so the workflow learns of it.
 */
const ACTIVITY_FAILURES = new Map<string, { failed: string; field: string; message: string }>([
  [
    'RespondActivityTaskCompleted',
    { failed: 'RespondActivityTaskFailed', field: 'result', message: COMPLETE_RESULT_EXCEEDS_LIMIT },
  ],
  [
    'RespondActivityTaskCompletedById',
    { failed: 'RespondActivityTaskFailedById', field: 'result', message: COMPLETE_RESULT_EXCEEDS_LIMIT },
  ],
  [
    'RecordActivityTaskHeartbeat',
    { failed: 'RespondActivityTaskFailed', field: 'details', message: HEARTBEAT_EXCEEDS_LIMIT },
  ],
  [
    'RecordActivityTaskHeartbeatById',
    { failed: 'RespondActivityTaskFailedById', field: 'details', message: HEARTBEAT_EXCEEDS_LIMIT },
  ],
]);

/**
 * Checks the payloads a request brings against the blob size limit (the protobuf size of each Payloads, as Temporal
 * measures it): a start or signal over it is INVALID_ARGUMENT and changes nothing; an activity result or heartbeat
 * over it fails the activity (non-retryable) instead; a query answer over it fails the query with "Blob data size
 * exceeds limit.". Returns the method and request to run.
 */
export function withinBlobLimit(
  method: string,
  request: object,
  blobLimit: number,
): { method: string; request: object } {
  const req = request as Record<string, unknown>;
  const refused = REFUSED.get(method);
  if (refused?.(req).some((p) => payloadsSize(p) > blobLimit))
    throw ServiceError.invalidArgument(BLOB_SIZE_EXCEEDS_LIMIT);
  if (method === 'RespondQueryTaskCompleted' && payloadsSize(req.queryResult as Payloads) > blobLimit) {
    // As Temporal's frontend: the worker's call succeeds, and the query's caller gets a failed query instead.
    const { queryResult: _dropped, failure: _failure, ...rest } = req;
    return {
      method,
      request: {
        ...rest,
        completedType: temporal.api.enums.v1.QueryResultType.QUERY_RESULT_TYPE_FAILED,
        errorMessage: BLOB_SIZE_EXCEEDS_LIMIT,
      },
    };
  }
  const failure = ACTIVITY_FAILURES.get(method);
  if (failure && payloadsSize(req[failure.field] as Payloads) > blobLimit) {
    const { [failure.field]: _dropped, ...rest } = req;
    return {
      method: failure.failed,
      request: {
        ...rest,
        failure: { message: failure.message, source: 'Odin', serverFailureInfo: { nonRetryable: true } },
      },
    };
  }
  return { method, request };
}

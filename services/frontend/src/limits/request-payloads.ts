import type { temporal as T } from '@temporalio/proto';
import { ServiceError, temporal } from '@odin/api';

/** Temporal's answer to a request payload over the blob size limit. */
export const BLOB_SIZE_EXCEEDS_LIMIT = 'Blob data size exceeds limit.';
/** Temporal's failure for an activity whose result is over the blob size limit. */
export const COMPLETE_RESULT_EXCEEDS_LIMIT = 'Complete result exceeds size limit.';

type Payloads = T.api.common.v1.IPayloads | null | undefined;

const payloadsSize = (p: Payloads): number =>
  p ? temporal.api.common.v1.Payloads.encode(p).finish().length : 0;

/** Where each method carries client payloads that become history. */
const REFUSED = new Map<string, (req: Record<string, unknown>) => Payloads[]>([
  ['StartWorkflowExecution', (req) => [req.input as Payloads]],
  ['SignalWorkflowExecution', (req) => [req.input as Payloads]],
  ['SignalWithStartWorkflowExecution', (req) => [req.input as Payloads, req.signalInput as Payloads]],
]);

/** An activity completion turns into its failure, as Temporal's frontend does, so the workflow learns of it. */
const COMPLETIONS = new Map<string, string>([
  ['RespondActivityTaskCompleted', 'RespondActivityTaskFailed'],
  ['RespondActivityTaskCompletedById', 'RespondActivityTaskFailedById'],
]);

/**
 * Checks the payloads a request brings against the blob size limit (the protobuf size of each Payloads, as Temporal
 * measures it): a start or signal over it is INVALID_ARGUMENT and changes nothing; an activity result over it fails
 * the activity (non-retryable) instead. Returns the method and request to run.
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
  const failed = COMPLETIONS.get(method);
  if (failed && payloadsSize(req.result as Payloads) > blobLimit) {
    const { result: _result, ...rest } = req;
    return {
      method: failed,
      request: {
        ...rest,
        failure: {
          message: COMPLETE_RESULT_EXCEEDS_LIMIT,
          source: 'Odin',
          serverFailureInfo: { nonRetryable: true },
        },
      },
    };
  }
  return { method, request };
}

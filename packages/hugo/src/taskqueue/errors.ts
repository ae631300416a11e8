import { ErrorCodes, HugoError } from '../result/error.js';
import { ResultError } from '../result/result.js';

/** Thrown (as a `ResultError`) by a lease that has already completed, failed or expired. */
export function leaseInactiveError(): ResultError {
  return new ResultError(HugoError.from('Lease is no longer active.', ErrorCodes.TaskQueueLeaseInactive));
}

/** Thrown (as a `ResultError`) by a queue that was disposed or drained. */
export function queueDisposedError(name: string): ResultError {
  return new ResultError(
    HugoError.from(`Task queue '${name}' has been disposed.`, ErrorCodes.TaskQueueDisposed),
  );
}

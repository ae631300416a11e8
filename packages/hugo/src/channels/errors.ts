import { ErrorCodes, HugoError } from '../result/error.js';
import { ResultError } from '../result/result.js';

/** The error a completed channel gives writers (and readers of a drained, normally completed channel). */
export function channelCompletedError(message = 'The channel has been completed.'): ResultError {
  return new ResultError(HugoError.from(message, ErrorCodes.ChannelCompleted));
}

/** Faults are thrown to readers, so a `HugoError` (a value, not an `Error`) is wrapped to be throwable. */
export function toThrowable(error: unknown): unknown {
  return error instanceof HugoError ? new ResultError(error) : error;
}

/** The `HugoError` behind something thrown: unwraps `ResultError`, otherwise `fromException`. */
export function toHugoError(error: unknown): HugoError {
  if (error instanceof ResultError) return error.error;
  if (error instanceof HugoError) return error;
  return HugoError.fromException(error);
}

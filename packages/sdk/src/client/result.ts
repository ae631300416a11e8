import { fail, HugoError, ok, type Result } from '@odin/hugo';
import { TemporalFailure, failureToHugoError } from '../common/failure.js';
import { ServiceCallError, WorkflowFailedError } from './errors.js';
import { WorkflowUpdateFailedError } from './updates.js';

/** Stable error codes of client failures seen as Results. */
export const ClientErrorCodes = {
  notFound: 'odin.workflow.not_found',
  alreadyStarted: 'odin.workflow.already_started',
  queryNotRegistered: 'odin.query.not_registered',
  workflowFailed: 'odin.workflow.failed',
  updateFailed: 'odin.update.failed',
  service: 'odin.service',
} as const;

function codeOf(error: Error): string {
  switch (error.name) {
    case 'WorkflowNotFoundError':
    case 'NamespaceNotFoundError':
      return ClientErrorCodes.notFound;
    case 'WorkflowExecutionAlreadyStartedError':
      return ClientErrorCodes.alreadyStarted;
    case 'QueryNotRegisteredError':
      return ClientErrorCodes.queryNotRegistered;
    default:
      return ClientErrorCodes.service;
  }
}

/**
 * The caller's other choice of error style: the call's outcome as a Hugo `Result`. Typed client errors become
 * failures whose `cause` is the typed error; anything else (a bug) is still thrown.
 */
export async function asResult<T>(call: Promise<T> | (() => Promise<T>)): Promise<Result<T>> {
  try {
    return ok(await (typeof call === 'function' ? call() : call));
  } catch (error) {
    if (error instanceof WorkflowFailedError) {
      const cause = failureToHugoError(error.cause);
      return fail(
        HugoError.from(error.message, ClientErrorCodes.workflowFailed, error).withMetadata(
          'cause',
          cause.toJSON(),
        ),
      );
    }
    if (error instanceof WorkflowUpdateFailedError) {
      const cause = failureToHugoError(error.cause);
      return fail(
        HugoError.from(error.message, ClientErrorCodes.updateFailed, error).withMetadata(
          'cause',
          cause.toJSON(),
        ),
      );
    }
    if (error instanceof ServiceCallError) {
      return fail(
        HugoError.from(error.message, codeOf(error), error).withMetadata('grpcCode', error.codeName),
      );
    }
    if (error instanceof TemporalFailure) return fail(failureToHugoError(error));
    if (error instanceof Error && error.name === 'QueryRejectedError') {
      return fail(HugoError.from(error.message, 'odin.query.rejected', error));
    }
    throw error;
  }
}

import { status } from '@grpc/grpc-js';
import type { TemporalFailure } from '../common/failure.js';

/** A WorkflowService call failed with a gRPC status; subclasses name the cases callers handle. */
export class ServiceCallError extends Error {
  constructor(
    message: string,
    readonly code: status,
    readonly method: string,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'ServiceCallError';
  }
  get codeName(): string {
    return status[this.code] ?? String(this.code);
  }
}

export class WorkflowNotFoundError extends ServiceCallError {
  constructor(
    message: string,
    method: string,
    readonly workflowId: string,
    readonly runId: string | undefined,
  ) {
    super(message, status.NOT_FOUND, method);
    this.name = 'WorkflowNotFoundError';
  }
}

export class NamespaceNotFoundError extends ServiceCallError {
  constructor(
    message: string,
    method: string,
    readonly namespace: string,
  ) {
    super(message, status.NOT_FOUND, method);
    this.name = 'NamespaceNotFoundError';
  }
}

export class WorkflowExecutionAlreadyStartedError extends ServiceCallError {
  constructor(
    message: string,
    method: string,
    readonly workflowId: string,
    readonly workflowType: string,
  ) {
    super(message, status.ALREADY_EXISTS, method);
    this.name = 'WorkflowExecutionAlreadyStartedError';
  }
}

/** The query name is not registered by the workflow, or the worker failed answering it. */
export class QueryNotRegisteredError extends ServiceCallError {
  constructor(message: string, method: string) {
    super(message, status.INVALID_ARGUMENT, method);
    this.name = 'QueryNotRegisteredError';
  }
}

/** The server refused the query by its reject condition (the workflow is closed). */
export class QueryRejectedError extends Error {
  constructor(readonly status: string) {
    super(`Query rejected: workflow status is ${status}`);
    this.name = 'QueryRejectedError';
  }
}

/** The workflow closed unsuccessfully; `cause` is the failure (ApplicationFailure, CancelledFailure, ...). */
export class WorkflowFailedError extends Error {
  constructor(
    message: string,
    override readonly cause: TemporalFailure,
    readonly retryState: string,
  ) {
    super(message, { cause });
    this.name = 'WorkflowFailedError';
  }
}

import { status } from '@grpc/grpc-js';

/**
 * An RPC failure with the gRPC status code a Temporal client expects and, where clients decode one, a
 * `temporal.api.errordetails.v1` detail (encoded into `grpc-status-details-bin` by the frontend).
 * Handlers throw it; the gRPC layer turns it into a status. Messages must tell a person what to change.
 */
export interface ErrorDetail {
  /** Fully-qualified proto type, e.g. `temporal.api.errordetails.v1.NotFoundFailure`. */
  readonly typeName: string;
  readonly value: Record<string, unknown>;
}

export class ServiceError extends Error {
  constructor(
    readonly code: status,
    message: string,
    readonly detail?: ErrorDetail,
  ) {
    super(message);
    this.name = 'ServiceError';
  }

  /** Temporal sends no errordetails message with INVALID_ARGUMENT (and the errordetails package defines none for it). */
  static invalidArgument(message: string): ServiceError {
    return new ServiceError(status.INVALID_ARGUMENT, message);
  }

  static notFound(
    message: string,
    current?: { currentCluster?: string; activeCluster?: string },
  ): ServiceError {
    return new ServiceError(status.NOT_FOUND, message, {
      typeName: 'temporal.api.errordetails.v1.NotFoundFailure',
      value: {
        currentCluster: current?.currentCluster ?? 'active',
        activeCluster: current?.activeCluster ?? 'active',
      },
    });
  }

  static namespaceNotFound(namespace: string): ServiceError {
    return new ServiceError(status.NOT_FOUND, `Namespace ${namespace} is not found.`, {
      typeName: 'temporal.api.errordetails.v1.NamespaceNotFoundFailure',
      value: { namespace },
    });
  }

  static namespaceAlreadyExists(namespace: string): ServiceError {
    return new ServiceError(status.ALREADY_EXISTS, `Namespace ${namespace} already exists.`, {
      typeName: 'temporal.api.errordetails.v1.NamespaceAlreadyExistsFailure',
      value: {},
    });
  }

  static workflowAlreadyStarted(message: string, startRequestId: string, runId: string): ServiceError {
    return new ServiceError(status.ALREADY_EXISTS, message, {
      typeName: 'temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure',
      value: { startRequestId, runId },
    });
  }

  static failedPrecondition(message: string): ServiceError {
    return new ServiceError(status.FAILED_PRECONDITION, message);
  }

  static resourceExhausted(
    message: string,
    cause = 1 /* RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT */,
  ): ServiceError {
    return new ServiceError(status.RESOURCE_EXHAUSTED, message, {
      typeName: 'temporal.api.errordetails.v1.ResourceExhaustedFailure',
      value: { cause },
    });
  }

  static unavailable(message: string): ServiceError {
    return new ServiceError(status.UNAVAILABLE, message);
  }

  static unimplemented(method: string): ServiceError {
    return new ServiceError(status.UNIMPLEMENTED, `${method} is not implemented by Odin yet.`);
  }

  static deadlineExceeded(message: string): ServiceError {
    return new ServiceError(status.DEADLINE_EXCEEDED, message);
  }

  static canceled(message: string): ServiceError {
    return new ServiceError(status.CANCELLED, message);
  }

  static internal(message: string): ServiceError {
    return new ServiceError(status.INTERNAL, message);
  }
}

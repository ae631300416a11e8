import { status } from '@grpc/grpc-js';
import { protoRoot } from './proto.js';

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

/** Longest piece of a request a message repeats (`echo`). */
export const MAX_ECHO_CHARS = 200;

/**
 * Longest message a ServiceError carries. The message travels in the `grpc-message` trailer and again inside
 * `grpc-status-details-bin`; clients refuse header blocks over their limit (16 KiB in grpc-js), and a refused trailer
 * costs the whole connection, not just the call.
 */
export const MAX_ERROR_MESSAGE_CHARS = 1_000;

/**
 * A piece of a request as an error message may repeat it: at most MAX_ECHO_CHARS characters, the rest replaced by
 * an ellipsis and the full length, so a 200k-character name is reported, not sent back.
 */
export function echo(value: string, max: number = MAX_ECHO_CHARS): string {
  if (value.length <= max) return value;
  return `${value.slice(0, max)}… (${value.length} characters)`;
}

/** The message bounded to MAX_ERROR_MESSAGE_CHARS: its start and end kept, the middle elided. */
function boundMessage(message: string): string {
  if (message.length <= MAX_ERROR_MESSAGE_CHARS) return message;
  const tail = 150;
  const head = MAX_ERROR_MESSAGE_CHARS - tail - 40;
  const elided = message.length - head - tail;
  return `${message.slice(0, head)} …(${elided} characters elided)… ${message.slice(message.length - tail)}`;
}

export class ServiceError extends Error {
  constructor(
    readonly code: status,
    message: string,
    readonly detail?: ErrorDetail,
  ) {
    super(boundMessage(message));
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
    return new ServiceError(status.NOT_FOUND, `Namespace ${echo(namespace)} is not found.`, {
      typeName: 'temporal.api.errordetails.v1.NamespaceNotFoundFailure',
      value: { namespace: echo(namespace) },
    });
  }

  static namespaceAlreadyExists(namespace: string): ServiceError {
    return new ServiceError(status.ALREADY_EXISTS, `Namespace ${echo(namespace)} already exists.`, {
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
    /** RESOURCE_EXHAUSTED_SCOPE_NAMESPACE = 1, _SYSTEM = 2; unset = unspecified. */
    scope?: number,
  ): ServiceError {
    return new ServiceError(status.RESOURCE_EXHAUSTED, message, {
      typeName: 'temporal.api.errordetails.v1.ResourceExhaustedFailure',
      value: scope === undefined ? { cause } : { cause, scope },
    });
  }

  static unavailable(message: string): ServiceError {
    return new ServiceError(status.UNAVAILABLE, message);
  }

  static unimplemented(method: string): ServiceError {
    return new ServiceError(status.UNIMPLEMENTED, `${echo(method)} is not implemented by Odin yet.`);
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

  /**
   * The failure of an ExecuteMultiOperation call: one status per operation in a MultiOperationExecutionFailure
   * detail, where the SDKs look for the operation that failed. Per operation: its error, `'aborted'` (not run
   * because another one failed: ABORTED with a MultiOperationExecutionAborted detail) or `null` (it succeeded). The
   * call's own code is that of the first operation that failed.
   */
  static multiOperation(
    message: string,
    operations: readonly (ServiceError | 'aborted' | null)[],
  ): ServiceError {
    const statuses = operations.map((op) => {
      if (op === null) return { code: status.OK, message: '', details: [] };
      if (op === 'aborted') {
        return {
          code: status.ABORTED,
          message: 'Operation was aborted.',
          details: [encodeAny('temporal.api.failure.v1.MultiOperationExecutionAborted', {})],
        };
      }
      return {
        code: op.code,
        message: op.message,
        details: op.detail ? [encodeAny(op.detail.typeName, op.detail.value)] : [],
      };
    });
    const failed = operations.find((op): op is ServiceError => op instanceof ServiceError);
    return new ServiceError(failed?.code ?? status.ABORTED, message, {
      typeName: 'temporal.api.errordetails.v1.MultiOperationExecutionFailure',
      value: { statuses },
    });
  }
}

/** A message as a google.protobuf.Any (the root keeps that well-known type's proto field names: type_url). */
function encodeAny(
  typeName: string,
  value: Record<string, unknown>,
): { type_url: string; value: Uint8Array } {
  const type = protoRoot.lookupType(typeName);
  return { type_url: `type.googleapis.com/${typeName}`, value: type.encode(type.fromObject(value)).finish() };
}

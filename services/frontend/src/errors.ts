import { Metadata, status } from '@grpc/grpc-js';
import { type ErrorDetail, google, protoRoot, ServiceError } from '@odin/api';
import {
  DatabaseUnavailableError,
  InvalidPageTokenError,
  LimitExceededError,
  NamespaceAlreadyExistsError,
  NamespaceNotFoundError,
  PersistenceError,
  ShardOwnershipLostError,
} from '@odin/persistence';

/** What a failed RPC sends: the status, its message and the trailers carrying the error detail. */
export interface GrpcFailure {
  readonly code: status;
  readonly details: string;
  readonly metadata: Metadata;
}

const DETAILS_KEY = 'grpc-status-details-bin';

/**
 * Turns anything a handler threw into the ServiceError a Temporal client understands. Expected persistence errors
 * get their matching status; anything else is a bug and becomes INTERNAL with a message pointing at the server log.
 */
export function toServiceError(error: unknown, correlationId: string): ServiceError {
  if (error instanceof ServiceError) return error;
  if (error instanceof NamespaceNotFoundError) return ServiceError.namespaceNotFound(error.nameOrId);
  if (error instanceof NamespaceAlreadyExistsError)
    return ServiceError.namespaceAlreadyExists(error.namespaceName);
  if (error instanceof DatabaseUnavailableError || error instanceof ShardOwnershipLostError) {
    return ServiceError.unavailable(`${error.message}; retry the call.`);
  }
  if (error instanceof LimitExceededError) return ServiceError.invalidArgument(error.message);
  // A token this server did not issue (forged, corrupted, from another call) will never work: retrying is useless.
  if (error instanceof InvalidPageTokenError) {
    return ServiceError.invalidArgument(
      'NextPageToken is invalid: pass back the token a previous page returned.',
    );
  }
  if (error instanceof PersistenceError) {
    return ServiceError.unavailable(`persistence error ${error.code}: ${error.message}; retry the call.`);
  }
  if (isAbort(error)) return ServiceError.canceled('The call was cancelled.');
  return ServiceError.internal(
    `Internal server error (correlation id ${correlationId}); the server log has the details.`,
  );
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

/**
 * The gRPC status for a ServiceError. The detail travels as `grpc-status-details-bin`: a google.rpc.Status whose
 * details hold the `temporal.api.errordetails.v1` message as an Any, which is where the SDKs look for it.
 */
export function toGrpcFailure(error: ServiceError): GrpcFailure {
  const metadata = new Metadata();
  const details: { type_url: string; value: Uint8Array }[] = [];
  const detail = error.detail ? encodeDetail(error.detail) : undefined;
  if (detail) details.push(detail);
  const rpcStatus = google.rpc.Status.encode(
    google.rpc.Status.fromObject({
      code: error.code,
      message: error.message,
      details: details.map((d) => ({ type_url: d.type_url, value: d.value })),
    }),
  ).finish();
  metadata.set(DETAILS_KEY, Buffer.from(rpcStatus));
  return { code: error.code, details: error.message, metadata };
}

/**
 * The detail as an Any, or undefined when its type is not in the pinned proto root (the status still goes out;
 * a missing detail must never keep the call from being answered).
 */
function encodeDetail(detail: ErrorDetail): { type_url: string; value: Uint8Array } | undefined {
  try {
    const type = protoRoot.lookupType(detail.typeName);
    return {
      type_url: `type.googleapis.com/${detail.typeName}`,
      value: type.encode(type.fromObject(detail.value)).finish(),
    };
  } catch {
    return undefined;
  }
}

export { status as GrpcStatus };

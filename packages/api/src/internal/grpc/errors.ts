// A ServiceError thrown by a remote role must reach the caller as the same ServiceError (code, message and
// errordetails detail), because callers branch on them: e.g. the frontend answers a duplicate start with
// WorkflowExecutionAlreadyStarted and its run id. The detail travels as a google.protobuf.Any in binary metadata.
import { Metadata, status, type ServiceError as GrpcError, type StatusObject } from '@grpc/grpc-js';
import type { Type } from 'protobufjs';
import { protoRoot } from '../../proto.js';
import { type ErrorDetail, ServiceError } from '../../service-error.js';

/** Binary trailer holding the ServiceError detail as a google.protobuf.Any. */
export const ERROR_DETAIL_KEY = 'odin-error-detail-bin';
/** Fallback for a detail whose type the proto root does not know: `{ typeName, value }` as UTF-8 JSON. */
export const ERROR_DETAIL_JSON_KEY = 'odin-error-detail-json-bin';

const TYPE_URL_PREFIX = 'type.googleapis.com/';

function detailType(typeName: string): Type | undefined {
  try {
    return protoRoot.lookupType(typeName);
  } catch {
    return undefined;
  }
}

/** The status a gRPC handler answers for an exception: a ServiceError keeps its code; anything else is INTERNAL. */
export function errorToStatus(error: unknown): Partial<StatusObject> {
  if (!(error instanceof ServiceError)) {
    const message = error instanceof Error ? error.message : String(error);
    return { code: status.INTERNAL, details: message };
  }
  const metadata = new Metadata();
  if (error.detail) {
    const type = detailType(error.detail.typeName);
    if (type) {
      const anyType = protoRoot.lookupType('google.protobuf.Any');
      const value = type.encode(type.fromObject(error.detail.value)).finish();
      const any = anyType.encode(
        // The SDK's root keeps this well-known type's proto field names (type_url).
        anyType.fromObject({ type_url: TYPE_URL_PREFIX + error.detail.typeName, value }),
      );
      metadata.set(ERROR_DETAIL_KEY, Buffer.from(any.finish()));
    } else {
      metadata.set(ERROR_DETAIL_JSON_KEY, Buffer.from(JSON.stringify(error.detail), 'utf8'));
    }
  }
  return { code: error.code, details: error.message, metadata };
}

function decodeDetail(metadata: Metadata | undefined): ErrorDetail | undefined {
  const [anyBytes] = metadata?.get(ERROR_DETAIL_KEY) ?? [];
  if (anyBytes instanceof Buffer) {
    const anyType = protoRoot.lookupType('google.protobuf.Any');
    const any = anyType.decode(anyBytes) as unknown as { type_url?: string; value?: Uint8Array };
    const typeUrl = any.type_url ?? '';
    const typeName = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
    const type = detailType(typeName);
    if (type) {
      const value = type.toObject(type.decode(any.value ?? new Uint8Array()), {
        longs: Number,
        enums: Number,
      });
      return { typeName, value };
    }
  }
  const [json] = metadata?.get(ERROR_DETAIL_JSON_KEY) ?? [];
  if (json instanceof Buffer) return JSON.parse(json.toString('utf8')) as ErrorDetail;
  return undefined;
}

/** A failed call's gRPC error as the ServiceError the remote threw (or the transport's own status, e.g. UNAVAILABLE). */
export function grpcErrorToServiceError(error: GrpcError): ServiceError {
  const code = typeof error.code === 'number' ? error.code : status.UNKNOWN;
  let detail: ErrorDetail | undefined;
  try {
    detail = decodeDetail(error.metadata);
  } catch {
    // A detail we cannot read must not hide the status itself (this runs in grpc-js's callback, where a throw
    // would crash the process).
  }
  return new ServiceError(code, error.details ?? error.message, detail);
}

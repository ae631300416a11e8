import { status as GrpcStatus } from '@grpc/grpc-js';
import { google, protoRoot, type ServiceError } from '@odin/api';
import { toGrpcFailure } from '../errors.js';
import { messageToJson } from './json-codec.js';
import type { Json } from './payload-shorthand.js';

/** grpc-gateway's mapping of gRPC codes to HTTP statuses (runtime.HTTPStatusFromCode), which Temporal's HTTP API uses. */
const HTTP_STATUS: Readonly<Record<number, number>> = {
  [GrpcStatus.OK]: 200,
  [GrpcStatus.CANCELLED]: 499,
  [GrpcStatus.UNKNOWN]: 500,
  [GrpcStatus.INVALID_ARGUMENT]: 400,
  [GrpcStatus.DEADLINE_EXCEEDED]: 504,
  [GrpcStatus.NOT_FOUND]: 404,
  [GrpcStatus.ALREADY_EXISTS]: 409,
  [GrpcStatus.PERMISSION_DENIED]: 403,
  [GrpcStatus.UNAUTHENTICATED]: 401,
  [GrpcStatus.RESOURCE_EXHAUSTED]: 429,
  [GrpcStatus.FAILED_PRECONDITION]: 400,
  [GrpcStatus.ABORTED]: 409,
  [GrpcStatus.OUT_OF_RANGE]: 400,
  [GrpcStatus.UNIMPLEMENTED]: 501,
  [GrpcStatus.INTERNAL]: 500,
  [GrpcStatus.UNAVAILABLE]: 503,
  [GrpcStatus.DATA_LOSS]: 500,
};

export function httpStatusFromGrpcCode(code: number): number {
  return HTTP_STATUS[code] ?? 500;
}

const STATUS_TYPE = protoRoot.lookupType('google.rpc.Status');

/**
 * The google.rpc.Status JSON of a ServiceError: the same Status (with its `temporal.api.errordetails.v1` detail as
 * an Any) that the gRPC server sends in `grpc-status-details-bin`, so HTTP clients see the same details.
 */
export function statusBody(error: ServiceError): Json {
  const encoded = toGrpcFailure(error).metadata.get('grpc-status-details-bin')[0];
  const status =
    encoded instanceof Buffer
      ? google.rpc.Status.decode(encoded)
      : google.rpc.Status.create({ code: error.code, message: error.message });
  const json = messageToJson(STATUS_TYPE, status as unknown as Record<string, unknown>) as {
    [key: string]: Json;
  };
  // proto3 JSON leaves an empty list out; the body always carries `details` so clients can read it unconditionally.
  return { code: error.code, message: error.message, ...json, details: json.details ?? [] };
}

/** A Status body for errors of the HTTP layer itself (no route, bad JSON, body too large). */
export function plainStatusBody(code: number, message: string): Json {
  return { code, message, details: [] };
}

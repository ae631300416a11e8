import type { ServiceDefinition } from '@grpc/grpc-js';
import { echo, keepReceivedBytes, ownedBuffer, passedOnBytes, protoRoot, ServiceError } from '@odin/api';
import type { Method, Type } from 'protobufjs';

/** The Temporal services the frontend serves, by fully-qualified proto name. */
export const WORKFLOW_SERVICE = 'temporal.api.workflowservice.v1.WorkflowService';
export const OPERATOR_SERVICE = 'temporal.api.operatorservice.v1.OperatorService';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

export interface MethodCodec {
  readonly name: string;
  readonly requestType: Type;
  readonly responseType: Type;
}

/** Request/response message types of every unary method of a service in the pinned @temporalio/proto root. */
export function methodCodecs(serviceName: string): MethodCodec[] {
  const service = protoRoot.lookupService(serviceName);
  return Object.values(service.methods).map((method: Method) => {
    method.resolve();
    if (!method.resolvedRequestType || !method.resolvedResponseType) {
      throw new Error(`${serviceName}.${method.name}: message types did not resolve`);
    }
    return {
      name: method.name,
      requestType: method.resolvedRequestType,
      responseType: method.resolvedResponseType,
    };
  });
}

/**
 * Encodes a message object (a decoded message or its plain-object form) as protobuf bytes. An answer of another
 * role handed on unchanged (in a cluster: a workflow task from matching, a history page from history) is sent as
 * the bytes it arrived in, histories included, instead of being encoded again (passedOnBytes).
 */
export function encodeMessage(type: Type, value: unknown): Buffer {
  const passed = passedOnBytes(type, value);
  if (passed !== undefined) return passed;
  const message = type.fromObject((value ?? {}) as Record<string, unknown>);
  const bytes = type.encode(message).finish();
  // protobufjs's writer gives a Buffer on Node already: no copy of every response.
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * What the server's deserializer hands on for bytes that are not a message of the request type. grpc-js answers a
 * throwing deserializer with INTERNAL, which says "the server is broken"; the frontend answers this value with
 * INVALID_ARGUMENT instead (the client sent something wrong), before any handler or authorization runs.
 */
export class UndecodableRequest {
  readonly error: ServiceError;
  constructor(typeName: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    this.error = ServiceError.invalidArgument(
      `The request is not a valid ${typeName} message: ${echo(reason)}.`,
    );
  }
}

/**
 * Decodes request bytes; an UndecodableRequest when they are not a message of the type. The message's `bytes` fields
 * (payloads) are views into what it was decoded from, and history keeps some of them for as long as it caches the
 * run: they are decoded from a copy of the request of their own, not from grpc's buffer, which may be a slice of a
 * shared pool slab or of a larger read (see ownedBuffer).
 */
export function decodeRequest(type: Type, bytes: Uint8Array): object {
  try {
    const owned = ownedBuffer(bytes);
    // Kept so a handler that forwards the request unchanged sends these bytes on (asReceived, @odin/api).
    return keepReceivedBytes(type.decode(owned), type, owned);
  } catch (error) {
    return new UndecodableRequest(type.fullName.replace(/^\./, ''), error);
  }
}

/**
 * A grpc-js service definition whose (de)serializers are the protobufjs types of the proto root, so handlers see
 * Temporal's message objects (int64 as Long, enums as numbers, bytes as Uint8Array) and may answer plain objects.
 */
export function grpcServiceDefinition(serviceName: string): ServiceDefinition {
  const definition: Record<string, ServiceDefinition[string]> = {};
  for (const codec of methodCodecs(serviceName)) {
    definition[codec.name] = {
      path: `/${serviceName}/${codec.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (value: unknown) => encodeMessage(codec.requestType, value),
      requestDeserialize: (bytes: Buffer) => decodeRequest(codec.requestType, bytes),
      responseSerialize: (value: unknown) => encodeMessage(codec.responseType, value),
      responseDeserialize: (bytes: Buffer) => codec.responseType.decode(bytes),
      originalName: codec.name,
    };
  }
  return definition as ServiceDefinition;
}

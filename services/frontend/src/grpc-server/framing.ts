// gRPC message framing of the client port: the reader of @odin/api with this server's RESOURCE_EXHAUSTED status for
// an oversized request (grpc-js's message).
import { status } from '@grpc/grpc-js';
import { GrpcMessageReader } from '@odin/api/public';
import { GrpcStatusError } from './status.js';

export { type FramedMessage, frameMessage } from '@odin/api/public';

/** A request over the port's receive limit (grpc-js's status and message). */
export function receivedTooLarge(length: number, maxBytes: number): GrpcStatusError {
  return new GrpcStatusError(
    status.RESOURCE_EXHAUSTED,
    `Received message larger than max (${length} vs ${maxBytes})`,
  );
}

/**
 * Collects a stream's DATA chunks into messages. A message inside one chunk is handed on as a view of it (no copy):
 * the request decoder copies what it keeps.
 */
export class MessageReader extends GrpcMessageReader {
  constructor(maxBytes: number) {
    super(maxBytes, receivedTooLarge);
  }
}

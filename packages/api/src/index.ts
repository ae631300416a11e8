export * from './proto.js';
export * from './int64.js';
export * from './durations.js';
export * from './service-error.js';
export * from './task-token.js';
// Copies of bytes kept long, out of Node's shared buffer pool.
export * from './owned-bytes.js';
export * from './internal/context.js';
export type * from './internal/history-api.js';
export type * from './internal/scheduler-api.js';
export * from './internal/matching-api.js';
export * from './shard-id.js';
// gRPC health of every role's port.
export * from './health.js';
// RPC spans and W3C trace context over gRPC metadata (recording only once an exporter is registered).
export * from './tracing.js';
// Internal gRPC transport between roles (history, matching).
export { abortServerCalls } from './internal/grpc/call-context.js';
export { ERROR_DETAIL_KEY } from './internal/grpc/errors.js';
export { addHistoryService, createHistoryClient, HISTORY_SERVICE } from './internal/grpc/history.js';
export {
  type InternalServer,
  type InternalServerOptions,
  startInternalServer,
} from './internal/grpc/internal-server.js';
export { addMatchingService, createMatchingClient, MATCHING_SERVICE } from './internal/grpc/matching.js';
export { loadInternalProtos } from './internal/grpc/protos.js';
export { type InternalClientOptions, MAX_MESSAGE_BYTES, traceCarrierOf } from './internal/grpc/transport.js';
// Messages handed on between processes as the bytes they arrived in.
export { asReceived, keepReceivedBytes, passedOnBytes } from './passed-on.js';
// TLS: credentials over reloadable material, the internal peer-name check, the verified peer's identity.
export * from './tls/index.js';

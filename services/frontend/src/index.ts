export { toGrpcFailure, toServiceError } from './errors.js';
export {
  FrontendService,
  type FrontendServiceDeps,
  type InvokeOptions,
  type ListenOptions,
} from './frontend-service.js';
export {
  encodeMessage,
  grpcServiceDefinition,
  HEALTH_SERVICE,
  methodCodecs,
  OPERATOR_SERVICE,
  WORKFLOW_SERVICE,
} from './grpc-service.js';
export type { FrontendDeps, Handler, HandlerMap, RpcCall } from './handler-types.js';
export { describeNamespace, ensureNamespace } from './handlers/namespace.js';
export { CLUSTER_NAME, SERVER_VERSION, serverCapabilities } from './handlers/system.js';
export { NamespaceResolver, NamespaceState } from './namespaces.js';
export { parseVisibilityQuery } from './visibility-query.js';
export { type GrpcCallError, TemporalGrpcClient } from './grpc-client.js';
export * from './http/index.js';
export { createClientFacingServer, peerOfRequest } from './http-tls.js';

export { type AuthorizeOptions, authorize, type Decision } from './auth/authorizer.js';
export { type Claims, claimsFor, RoleBit } from './auth/claims.js';
export {
  bearerTokenOf,
  type CallerCredentials,
  credentialsFromHttpHeaders,
  INTERNAL_CREDENTIALS,
  type TlsPeer,
  tlsPeerOf,
  type VerifiedPeer,
} from './auth/credentials.js';
export { JwtClaimMapper, TOKEN_ALGORITHMS } from './auth/jwt-claims.js';
export { type AuthorizedCall, RequestAuthorization } from './auth/request-authorization.js';
export {
  type Access,
  ACCESS_CLASSES,
  accessOf,
  HEALTH_SERVICE_ACCESS,
  OPERATOR_SERVICE_ACCESS,
  RPC_ACCESS,
  WORKFLOW_SERVICE_ACCESS,
} from './auth/rpc-access.js';
export { TlsClaimMapper } from './auth/tls-claims.js';
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

export { DEFAULT_MAX_BODY_BYTES, HTTP_SERVICES, HttpApi, type HttpApiOptions } from './http-api.js';
export { httpStatusFromGrpcCode } from './http-errors.js';
export {
  filterOpenApi,
  OPENAPI_DOCUMENT_PATH,
  type OpenApiDocument,
  OpenApiDocumentMissingError,
  readOpenApiDocument,
  TEMPORAL_OPENAPI_IN_CORE_BRIDGE,
} from './openapi.js';
export { matchPathTemplate, type PathTemplate, parsePathTemplate, templateShapeOf } from './path-template.js';
export { deriveHttpRoutes, type HttpRoute, type HttpVerb, matchRoute } from './routes.js';
export { type HttpServersOptions, type RunningHttpServers, startHttpServers } from './servers.js';

export { DEFAULT_MAX_BODY_BYTES, HTTP_SERVICES, HttpApi, type HttpApiOptions } from './http-api.js';
export { httpStatusFromGrpcCode } from './http-errors.js';
export { filterOpenApi, loadTemporalOpenApi, temporalOpenApiPath } from './openapi.js';
export { matchPathTemplate, type PathTemplate, parsePathTemplate, templateShapeOf } from './path-template.js';
export { deriveHttpRoutes, type HttpRoute, type HttpVerb, matchRoute } from './routes.js';
export { type HttpServersOptions, type RunningHttpServers, startHttpServers } from './servers.js';

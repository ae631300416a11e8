export type {
  IncomingCall,
  ServerStream,
  StreamHandler,
  UnaryHandler,
} from './calls.js';
export { metadataValue } from './request-headers.js';
export { GrpcServer, type GrpcServerOptions } from './server.js';
export { GrpcStatusError } from './status.js';

export type {
  IncomingCall,
  ServerStream,
  StreamHandler,
  UnaryHandler,
} from './calls.js';
export { binaryMetadata, metadataValue } from './request-headers.js';
export { GrpcServer, type GrpcServerOptions } from './server.js';
export { Code, GrpcStatusError } from './status.js';

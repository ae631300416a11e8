export * from './aes-gcm-codec.js';
export * from './codec-server.js';
export * from './payload-codec.js';
export { decodeHistory, decodeMessage, encodeMessage, type CodecOptions } from './payload-visitor.js';

// `@odin/api/public`: what SDKs and clients need from the API package — Temporal's proto root and message classes,
// the int64/duration/timestamp helpers and the service error type — without the server's internal history and
// matching contracts or their gRPC transport, which only the server roles import (through the root export).
export * from './proto.js';
export * from './int64.js';
export * from './service-error.js';
// The frames of the client port's multiplexed call stream (@odin/sdk speaks it to the frontend).
export * from './mux-frame.js';
export * from './mux-batcher.js';
// gRPC message framing read from a stream (the frontend's requests, @odin/sdk's multiplexed answers).
export * from './grpc-message-reader.js';

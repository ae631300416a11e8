// `@odin/api/public`: what SDKs and clients need from the API package — Temporal's proto root and message classes,
// the int64/duration/timestamp helpers and the service error type — without the server's internal history and
// matching contracts or their gRPC transport, which only the server roles import (through the root export).
export * from './proto.js';
export * from './int64.js';
export * from './service-error.js';

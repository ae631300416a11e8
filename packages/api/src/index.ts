export * from './proto.js';
export * from './int64.js';
export * from './service-error.js';
export * from './task-token.js';
export type * from './internal/context.js';
export type * from './internal/history-api.js';
export * from './internal/matching-api.js';

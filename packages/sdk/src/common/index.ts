export * from './definitions.js';
export * from './duration.js';
export * from './failure.js';
export * from './payload.js';
export type * from './proto-types.js';
export * from './retry.js';
export * from './interceptors.js';

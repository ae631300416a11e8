export * from './identity.js';
export * from './worker.js';
export * from './run-cache.js';

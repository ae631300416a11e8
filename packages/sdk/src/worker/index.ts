export * from './identity.js';
export { Semaphore } from './semaphore.js';
export * from './worker.js';
export * from './run-cache.js';

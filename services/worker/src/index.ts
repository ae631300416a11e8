export * from './cleanup-worker.js';

export * from './context.js';
export * from './interceptors.js';

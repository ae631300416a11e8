export * from './effect-store.js';
export * from './gate.js';
export * from './scope.js';
export * from './store.js';
export * from './version-gate.js';
export * from './workflow-context.js';

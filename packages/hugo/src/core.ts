// Result, Error, policies, ErrGroup, determinism and diagnostics (helper A's half of @odin/hugo).
export { type AbortScope, type AbortScopeDeadline, abortScope } from './abort-scope.js';
export * from './deterministic/index.js';
export * from './diagnostics.js';
export * from './errgroup.js';
export * from './policies/index.js';
export * from './result/index.js';

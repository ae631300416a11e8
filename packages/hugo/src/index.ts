// @odin/hugo by topic: each line is one family of primitives.
export * from './clock.js';
export { type Duration, durationMs, parseDuration } from './duration.js';
export * from './result/index.js';
export * from './policies/index.js';
export * from './errgroup.js';
export { type AbortScope, type AbortScopeDeadline, abortScope } from './abort-scope.js';
export * from './sync/index.js';
export * from './channels/index.js';
export * from './taskqueue/index.js';
export * from './deterministic/index.js';
export * from './diagnostics.js';
export { jsonNestsDeeperThan, MAX_JSON_DEPTH } from './json-depth.js';

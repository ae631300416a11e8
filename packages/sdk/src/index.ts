// @odin/sdk: client, worker, activities, replay and testing. Workflow code imports '@odin/sdk/workflow'.
export * from './activity/index.js';
export * from './client/index.js';
export * from './codec/index.js';
export * from './common/index.js';
export * from './replay.js';
export * from './testing/index.js';
export * from './worker/index.js';

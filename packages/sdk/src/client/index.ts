export * from './connection.js';
export * from './errors.js';
export * from './result.js';
export type { RequestOf, ResponseOf, WorkflowServiceMethod } from './service-types.js';
export * from './workflow-client.js';
export * from './namespace-client.js';
export * from './interceptors.js';
export * from './local-workers.js';
export {
  type StartUpdateOptions,
  type UpdateOptions,
  WorkflowUpdateFailedError,
  WorkflowUpdateHandle,
  type WorkflowUpdateStage,
} from './updates.js';
export * from './schedule-client.js';

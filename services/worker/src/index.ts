export * from './cleanup-worker.js';
export type { RunStatus, ScheduleWorkflows, WorkflowRef } from './schedules/processor.js';
export { ScheduleRunner, type ScheduleRunnerOptions } from './schedules/runner.js';
export { ScheduleService, type ScheduleServiceOptions } from './schedules/service.js';
export { type BatchCalls, BatchRunner, type BatchRunnerOptions, type BatchTarget } from './batch/runner.js';
export { NamespaceReclaimer, type NamespaceReclaimerOptions } from './namespaces/reclaimer.js';

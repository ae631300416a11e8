// The lease-based TaskQueue, its channel adapter, store and health checks.
export { TaskQueueChannelAdapter, type TaskQueueChannelAdapterOptions } from './adapter.js';
export { leaseInactiveError, queueDisposedError } from './errors.js';
export {
  checkTaskQueueHealth,
  type TaskQueueCounts,
  type TaskQueueHealthReport,
  type TaskQueueHealthStatus,
  TaskQueueHealthDefaults,
  type TaskQueueHealthThresholds,
} from './health.js';
export { type LeaseOwner, TaskQueueLease } from './lease.js';
export {
  resolveTaskQueueOptions,
  type ResolvedTaskQueueOptions,
  type TaskQueueBackpressureOptions,
  type TaskQueueBackpressureState,
  TaskQueueDefaults,
  type TaskQueueOptions,
} from './options.js';
export { SafeTaskQueue, SafeTaskQueueLease } from './safe.js';
export { InMemoryTaskQueueStore, type TaskQueueLeaseRecord, type TaskQueueStore } from './store.js';
export { TaskQueue, type TaskQueueDependencies } from './task-queue.js';
export type {
  TaskQueueDeadLetterContext,
  TaskQueueItem,
  TaskQueueLifecycleEvent,
  TaskQueueLifecycleEventKind,
  TaskQueueLifecycleFlag,
  TaskQueueLifecycleListener,
  TaskQueueOwnershipToken,
  TaskQueuePendingItem,
} from './types.js';

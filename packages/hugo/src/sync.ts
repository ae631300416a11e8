// Go/defer, WaitGroup, locks, Once, Pool, channels, select, fan-in/out, timers and the TaskQueue.
export { DeferStack, defer, deferAsync, run } from './sync/go.js';
export { WaitGroup, type WaitGroupOptions } from './sync/waitgroup.js';
export { type LockScope, Mutex, RwMutex } from './sync/mutex.js';
export { Once } from './sync/once.js';
export { Pool, type PoolOptions } from './sync/pool.js';
export type { BoundedChannelFullMode, ChannelReader, ChannelWriter, ReadAttempt } from './channels/types.js';
export {
  boundedChannel,
  Channel,
  type ChannelOptions,
  makeChannel,
  unboundedChannel,
} from './channels/channel.js';
export { channelCompletedError } from './channels/errors.js';
export {
  PrioritizedChannel,
  type PrioritizedChannelOptions,
  prioritizedChannel,
} from './channels/prioritized.js';
export {
  type CaseOutcome,
  channelCase,
  channelCases,
  type DefaultCase,
  defaultCase,
  type ReadCase,
  type SelectCase,
  type SelectOptions,
  select,
} from './channels/select.js';
export { SelectBuilder, selectBuilder } from './channels/select-builder.js';
export {
  type FanInOptions,
  type FanOptions,
  type FanOutOptions,
  fanIn,
  fanInAsync,
  fanOut,
  fanOutAsync,
  selectFanIn,
} from './channels/fan.js';
export { after, afterAsync, delay, newTicker, Ticker, type TimerOptions, tick } from './channels/timers.js';
export { TaskQueueChannelAdapter, type TaskQueueChannelAdapterOptions } from './taskqueue/adapter.js';
export { leaseInactiveError, queueDisposedError } from './taskqueue/errors.js';
export {
  checkTaskQueueHealth,
  type TaskQueueCounts,
  type TaskQueueHealthReport,
  type TaskQueueHealthStatus,
  TaskQueueHealthDefaults,
  type TaskQueueHealthThresholds,
} from './taskqueue/health.js';
export { type LeaseOwner, TaskQueueLease } from './taskqueue/lease.js';
export {
  resolveTaskQueueOptions,
  type ResolvedTaskQueueOptions,
  type TaskQueueBackpressureOptions,
  type TaskQueueBackpressureState,
  TaskQueueDefaults,
  type TaskQueueOptions,
} from './taskqueue/options.js';
export { SafeTaskQueue, SafeTaskQueueLease } from './taskqueue/safe.js';
export { InMemoryTaskQueueStore, type TaskQueueLeaseRecord, type TaskQueueStore } from './taskqueue/store.js';
export { TaskQueue, type TaskQueueDependencies } from './taskqueue/task-queue.js';
export type {
  TaskQueueDeadLetterContext,
  TaskQueueItem,
  TaskQueueLifecycleEvent,
  TaskQueueLifecycleEventKind,
  TaskQueueLifecycleFlag,
  TaskQueueLifecycleListener,
  TaskQueueOwnershipToken,
  TaskQueuePendingItem,
} from './taskqueue/types.js';

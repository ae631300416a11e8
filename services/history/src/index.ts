export { HistoryService } from './history-service.js';
export { DEFAULT_HISTORY_LIMITS, DEFAULT_HISTORY_OPTIONS } from './context.js';
export type {
  HistoryDeps,
  HistoryLimits,
  HistoryLogger,
  HistoryOptions,
  HistoryRuntime,
  ShardOwnership,
} from './context.js';
export { shardIdFor } from './shard/shard-id.js';
export { ShardController } from './shard/shard-controller.js';
export type { ShardExecutors, TaskExecutor } from './shard/shard-controller.js';
export type { Shard } from './shard/owned-shards.js';

export { HistoryService } from './history-service.js';
export { DEFAULT_HISTORY_OPTIONS } from './context.js';
export type { HistoryDeps, HistoryLogger, HistoryOptions, HistoryRuntime } from './context.js';
export { shardIdFor } from './shard/shard-id.js';
export { ShardController } from './shard/shard-controller.js';
export type { Shard, ShardExecutors } from './shard/shard-controller.js';
export type { ShardOwnership } from './shard/shard-ownership.js';

export { HistoryService } from './history-service.js';
export { DEFAULT_HISTORY_OPTIONS } from './context.js';
export type { HistoryDeps, HistoryLogger, HistoryOptions, HistoryRuntime } from './context.js';
export { shardIdFor } from './shard/shard-id.js';

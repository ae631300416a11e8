export { DEV_SHARD_COUNT, type DevServer, type DevServerOptions, startDevServer } from './dev-server.js';
export type { HistoryConstructor, HistoryRole } from './history-role.js';
export { type RunningServer, type ServerOptions, startServer } from './server.js';
// Database administration for tests and the `db` verbs: create / drop the database a URL names.
export { createDatabaseIfMissing, dropDatabase } from '@odin/persistence';
export {
  type ClusterServerOptions,
  type RunningClusterServer,
  SERVICE_ROLES,
  type ServiceRole,
  startClusterServer,
} from './cluster-server.js';

// @odin/server: assembles the roles of a server process for every topology (dev, all roles in one process, one or
// several roles per process in a cluster). The command line (`hugo-orchestrator server …`) and tests call it.
export { DEV_SHARD_COUNT, type DevServer, type DevServerOptions, startDevServer } from './dev-server.js';
export { defaultHistoryService, type HistoryConstructor, type HistoryRole } from './history-role.js';
export { frontendScheduleWorkflows } from './schedule-workflows.js';
export { isServiceRole, SERVICE_ROLES, type ServiceRole } from './roles.js';
export { type RunningServer, type ServerOptions, startServer } from './server.js';
export { type ServerPart, STOP_ORDER, type StopReport } from './stop-sequence.js';
// Database administration for tests and the `db` verbs: create / drop the database a URL names.
export { createDatabaseIfMissing, dropDatabase } from '@odin/persistence';

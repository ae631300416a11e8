// What workflow code imports: `import { proxyActivities, sleep, setHandler } from '@odin/sdk/workflow'`.
export * from './api.js';

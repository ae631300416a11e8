// A Temporal SDK worker in its own process, so a test can SIGKILL it: node --import tsx worker-process.ts <address> <queue>
import { NativeConnection, Worker } from '@temporalio/worker';
import * as activities from './activities.js';
import { installRuntime, workflowBundle } from './harness.js';

const [address, taskQueue] = process.argv.slice(2);
if (!address || !taskQueue) {
  console.error('usage: worker-process.ts <address> <task queue>');
  process.exit(2);
}
installRuntime();
const connection = await NativeConnection.connect({ address });
const worker = await Worker.create({
  connection,
  namespace: 'default',
  taskQueue,
  workflowBundle: await workflowBundle(),
  activities,
});
console.log('worker ready');
await worker.run();

// `@odin/sdk` client and worker on one connection to a server the bench started, as the benches that drive
// bench/sdk/workflows.ts set them up.
import { Connection, Worker, WorkflowClient } from '@odin/sdk';
import * as activities from '../workloads/activities.js';
import * as workflows from './workflows.js';

export interface LocalWorker {
  client: WorkflowClient;
  /** Stops the worker (its tasks finish first) and closes the connection. */
  stop(): Promise<void>;
}

/** A client and a running worker of the bench workflows on `taskQueue`, 100 workflow-task and activity slots. */
export async function startLocalWorker(address: string, taskQueue: string): Promise<LocalWorker> {
  const connection = Connection.connect({ address });
  const client = new WorkflowClient({ connection });
  const worker = await Worker.create({
    connection,
    taskQueue,
    workflows,
    activities,
    maxConcurrentWorkflowTasks: 100,
    maxConcurrentActivities: 100,
  });
  const running = worker.run();
  return {
    client,
    async stop() {
      worker.shutdown();
      await running;
      connection.close();
    },
  };
}

import { Connection, type IHistoryEvent, Worker, WorkflowClient } from '@odin/sdk';
import * as activities from './activities.js';
import * as v2 from './workflows.js';
import * as v1 from './workflows-v1.js';

const taskQueue = 'example-versioned';

export interface VersionedOutcome {
  /** Started under v1, finished under v2: keeps v1's behaviour (DefaultVersion). */
  oldRun: string[];
  /** Started under v2: takes the new branch. */
  newRun: string[];
  /** The old run's history, to replay against v2 in tests. */
  oldHistory: IHistoryEvent[];
  newRunMarkers: number;
}

async function waitUntilWaiting(client: WorkflowClient, workflowId: string): Promise<void> {
  // The run has finished its first workflow task once history holds WorkflowTaskCompleted.
  for (let i = 0; i < 200; i++) {
    const history = await client.fetchHistory(workflowId);
    if (history.some((e) => e.workflowTaskCompletedEventAttributes)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${workflowId} never completed its first workflow task`);
}

/**
 * A deployment in two steps: a v1 worker starts an order and stops while it waits to be packed; a v2 worker takes
 * over, the old order finishes with v1's behaviour and a new order takes v2's.
 */
export async function runVersionedExample(address: string): Promise<VersionedOutcome> {
  const connection = Connection.connect({ address });
  const client = new WorkflowClient({ connection });
  const suffix = Date.now().toString(36);
  try {
    const oldId = `fulfilment-old-${suffix}`;
    const before = await Worker.create({ connection, taskQueue, workflows: v1, activities });
    await before.runUntil(async () => {
      await client.start(v1.fulfilment, { taskQueue, workflowId: oldId, args: ['o-1'] });
      await waitUntilWaiting(client, oldId);
    });

    const after = await Worker.create({ connection, taskQueue, workflows: v2, activities });
    return await after.runUntil(async () => {
      await client.getHandle(oldId).signal(v2.packed);
      const oldRun = await client.result<string[]>(oldId, undefined);
      const newHandle = await client.start(v2.fulfilment, {
        taskQueue,
        workflowId: `fulfilment-new-${suffix}`,
        args: ['o-2'],
      });
      await newHandle.signal(v2.packed);
      const newRun = await newHandle.result();
      const newHistory = await newHandle.fetchHistory();
      return {
        oldRun,
        newRun,
        oldHistory: await client.fetchHistory(oldId),
        newRunMarkers: newHistory.filter((e) => e.markerRecordedEventAttributes).length,
      };
    });
  } finally {
    connection.close();
  }
}

import {
  ActivityCancellationType,
  CancellationScope,
  isCancellation,
  proxyActivities,
} from '@temporalio/workflow';
import type * as activities from '../activities.js';

const { heartbeatUntilCancelled } = proxyActivities<typeof activities>({
  startToCloseTimeout: '60 seconds',
  heartbeatTimeout: '2 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

const { greet } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

/** Runs a heartbeating activity until the workflow is cancelled, then cleans up outside the cancelled scope. */
export async function cancellableWorkflow(key: string): Promise<string> {
  try {
    return await heartbeatUntilCancelled(key);
  } catch (error) {
    if (isCancellation(error)) {
      await CancellationScope.nonCancellable(() => greet(`cleanup ${key}`));
    }
    throw error;
  }
}

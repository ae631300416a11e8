import {
  ActivityCancellationType,
  CancellationScope,
  isCancellation,
  proxyActivities,
  sleep,
} from '@temporalio/workflow';
import type * as activities from '../activities.js';

const { resumable } = proxyActivities<typeof activities>({
  startToCloseTimeout: '10 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '100 milliseconds', maximumAttempts: 3 },
});

const { silentAfterFirstBeat } = proxyActivities<typeof activities>({
  startToCloseTimeout: '20 seconds',
  heartbeatTimeout: '1 second',
  retry: { maximumAttempts: 1 },
});

const { heartbeatUntilCancelled } = proxyActivities<typeof activities>({
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '2 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

export async function resumableWorkflow(key: string): Promise<number> {
  return await resumable(key);
}

/** Returns how the attempt ended: its result, or the timeout type of its failure. */
export async function missedHeartbeatWorkflow(key: string): Promise<string> {
  try {
    return await silentAfterFirstBeat(key);
  } catch (error) {
    const cause = (error as { cause?: { timeoutType?: number; name?: string } }).cause;
    return `${cause?.name}:${cause?.timeoutType}`;
  }
}

export async function cancelHeartbeatingWorkflow(key: string): Promise<string> {
  const scope = new CancellationScope();
  const running = scope.run(() => heartbeatUntilCancelled(key));
  await sleep(500);
  scope.cancel();
  try {
    await running;
    return 'completed';
  } catch (error) {
    return isCancellation(error) ? 'cancelled' : `failed: ${String(error)}`;
  }
}

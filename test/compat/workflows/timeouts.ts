import { proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities.js';

function timeoutOf(error: unknown): string {
  const cause = (error as { cause?: { name?: string; timeoutType?: unknown } }).cause;
  return `${cause?.name}:${String(cause?.timeoutType)}`;
}

/** An activity on a queue nobody polls: its schedule-to-start timeout fires. */
export async function scheduleToStartTimeout(queueWithoutWorker: string): Promise<string> {
  const { greet } = proxyActivities<typeof activities>({
    taskQueue: queueWithoutWorker,
    scheduleToStartTimeout: '1 second',
    startToCloseTimeout: '10 seconds',
    retry: { maximumAttempts: 1 },
  });
  try {
    return await greet('nobody');
  } catch (error) {
    return timeoutOf(error);
  }
}

/** An activity that runs longer than its start-to-close timeout, with no retries. */
export async function startToCloseTimeout(): Promise<string> {
  const { sleepFor } = proxyActivities<typeof activities>({
    startToCloseTimeout: '500 milliseconds',
    retry: { maximumAttempts: 1 },
  });
  try {
    return await sleepFor(3_000);
  } catch (error) {
    return timeoutOf(error);
  }
}

/** Attempts keep timing out (start-to-close) and retrying until the schedule-to-close budget is spent. */
export async function scheduleToCloseTimeout(): Promise<string> {
  const { sleepFor } = proxyActivities<typeof activities>({
    scheduleToCloseTimeout: '1500 milliseconds',
    startToCloseTimeout: '400 milliseconds',
    retry: { initialInterval: '100 milliseconds', backoffCoefficient: 1 },
  });
  try {
    return await sleepFor(3_000);
  } catch (error) {
    return timeoutOf(error);
  }
}

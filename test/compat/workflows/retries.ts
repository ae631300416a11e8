import { proxyActivities } from '@temporalio/workflow';
import type * as activities from '../activities.js';

const { flaky } = proxyActivities<typeof activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumAttempts: 5 },
});

const { fatal } = proxyActivities<typeof activities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '100 milliseconds', maximumAttempts: 5 },
});

export async function retryingWorkflow(key: string, failures: number): Promise<string> {
  return await flaky(key, failures);
}

export async function fatalWorkflow(message: string): Promise<string> {
  return await fatal(message);
}

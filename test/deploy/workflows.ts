// Workflows the metrics test runs: a timer, an activity, a failure, so that every workflow, task-queue, RPC and
// persistence metric gets samples.
import { ApplicationFailure, proxyActivities, sleep } from '@odin/sdk/workflow';
import type * as activities from './activities.js';

const { shout } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

export async function greet(name: string): Promise<string> {
  await sleep(5);
  return await shout(`hello ${name}`);
}

export async function refuse(reason: string): Promise<never> {
  throw ApplicationFailure.nonRetryable(reason, 'Refused');
}

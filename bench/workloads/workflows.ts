import { proxyActivities, sleep } from '@temporalio/workflow';
import type * as activities from './activities.js';

const { echoSuffix } = proxyActivities<typeof activities>({ startToCloseTimeout: '30 seconds' });

/** W1: one activity that returns its input plus a suffix. */
export async function w1(input: string): Promise<string> {
  return await echoSuffix(input);
}

/** W2: a 100 ms durable sleep, then W1. */
export async function w2(input: string): Promise<string> {
  await sleep(100);
  return await echoSuffix(input);
}

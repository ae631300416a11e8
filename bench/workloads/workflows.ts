import { proxyActivities, proxyLocalActivities, sleep } from '@temporalio/workflow';
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

// The same workloads with the step as a local activity, as bench/sdk/workflows.ts has them for our worker.
const { echoSuffix: echoSuffixLocal } = proxyLocalActivities<typeof activities>({
  startToCloseTimeout: '30 seconds',
});

/** W1 with its step as a local activity. */
export async function w1local(input: string): Promise<string> {
  return await echoSuffixLocal(input);
}

/** W2 with its step as a local activity. */
export async function w2local(input: string): Promise<string> {
  await sleep(100);
  return await echoSuffixLocal(input);
}

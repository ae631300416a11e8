// W1 for our worker: the same workflow as bench/workloads/workflows.ts (the official one), written against
// @odin/sdk/workflow.
import { proxyActivities, sleep } from '@odin/sdk/workflow';
import type * as activities from '../workloads/activities.js';

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

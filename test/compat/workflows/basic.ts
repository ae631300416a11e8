import { proxyActivities, sleep } from '@temporalio/workflow';
import type * as activities from '../activities.js';

const { greet, echoSuffix } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

export async function greeting(name: string): Promise<string> {
  return await greet(name);
}

export async function echoWorkflow(input: string): Promise<string> {
  return await echoSuffix(input);
}

/** W2 of the bench: a durable sleep, then the echo activity. */
export async function sleepThenEcho(input: string, sleepMs: number): Promise<string> {
  await sleep(sleepMs);
  return await echoSuffix(input);
}

/** Limits scenario: the echo activity's input is `times` copies of `input` (larger than the workflow's own input). */
export async function echoRepeated(input: string, times: number): Promise<string> {
  return await echoSuffix(input.repeat(times));
}

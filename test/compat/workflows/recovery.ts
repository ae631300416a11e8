import {
  condition,
  defineSignal,
  executeChild,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type * as activities from '../activities.js';
import { modelChild } from './model.js';

/** Runs one child that waits until it is released, and returns what it answered. */
export async function parentOfWaitingChild(): Promise<string> {
  return executeChild(modelChild, { workflowId: `${workflowInfo().workflowId}-child`, args: ['wait', 'r'] });
}

export const collectSignal = defineSignal('collect');

/**
 * Runs two activities at once, `holdFirstCall(key)` on the workflow's queue and `greet` on `otherQueue`, and collects
 * them only after a `collect` signal: the workflow task of that signal is a point where both are still open.
 */
export async function twoActivitiesThenCollect(key: string, otherQueue: string): Promise<string[]> {
  let poked = false;
  setHandler(collectSignal, () => {
    poked = true;
  });
  const here = proxyActivities<typeof activities>({ startToCloseTimeout: '1 minute' });
  const there = proxyActivities<typeof activities>({
    startToCloseTimeout: '1 minute',
    taskQueue: otherQueue,
  });
  const results = Promise.all([here.holdFirstCall(key), there.greet('elsewhere')]);
  await condition(() => poked);
  return results;
}

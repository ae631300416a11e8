import {
  ApplicationFailure,
  condition,
  defineSignal,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import type * as activities from '../activities.js';

const { greet } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

export const proceedSignal = defineSignal('proceed');

/** Fails when asked to, so reuse policies that look at the close status can be tested. */
export async function maybeFail(fail: boolean): Promise<string> {
  if (fail) throw ApplicationFailure.nonRetryable('asked to fail', 'Asked');
  return 'fine';
}

/** An activity, then a wait for a signal, then another activity: a worker can die at the wait. */
export async function twoStep(name: string): Promise<string> {
  let proceed = false;
  setHandler(proceedSignal, () => {
    proceed = true;
  });
  const first = await greet(`${name} 1`);
  await condition(() => proceed);
  const second = await greet(`${name} 2`);
  return `${first} ${second}`;
}

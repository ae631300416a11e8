// Version 1 of `versioned` (and `deprecatedVersioned` at version 2), built into its own workflow bundle.
import { condition, defineSignal, patched, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import type * as activities from '../activities.js';

const { greet } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

export async function versioned(): Promise<string> {
  let released = false;
  setHandler(defineSignal('release'), () => {
    released = true;
  });
  const first = await greet('v1');
  await condition(() => released);
  return first;
}

export async function deprecatedVersioned(): Promise<string> {
  if (patched('timer-instead-of-activity')) {
    await sleep(1);
    return 'timer';
  }
  return greet('v1');
}

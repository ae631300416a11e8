// The mistake VersionGate prevents: v2's change made without a gate. Replaying a v1 history against this code
// fails with a determinism violation (the test shows it); it is never deployed.
import { condition, proxyActivities, setHandler } from '@odin/sdk/workflow';
import type * as activities from './activities.js';
import { packed } from './workflows.js';

const { notify } = proxyActivities<typeof activities>({ startToCloseTimeout: '30 seconds' });

export async function fulfilment(orderId: string): Promise<string[]> {
  let isPacked = false;
  setHandler(packed, () => {
    isPacked = true;
  });
  await condition(() => isPacked);
  return [await notify('email', orderId), await notify('sms', orderId)];
}

// Version 1 of the fulfilment workflow, as it was deployed before the change: notify by email only.
import { condition, defineSignal, proxyActivities, setHandler } from '@odin/sdk/workflow';
import type * as activities from './activities.js';

const { notify } = proxyActivities<typeof activities>({ startToCloseTimeout: '30 seconds' });

export const packed = defineSignal('packed');

export async function fulfilment(orderId: string): Promise<string[]> {
  let isPacked = false;
  setHandler(packed, () => {
    isPacked = true;
  });
  await condition(() => isPacked);
  return [await notify('email', orderId)];
}

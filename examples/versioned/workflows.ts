// Version 2 of the fulfilment workflow: also notify by SMS. Runs started before the change must replay exactly
// as they ran, so the change sits behind a VersionGate: `getVersion` records the version a new run takes as a
// marker in its history; a run whose history predates the change (no marker) gets DefaultVersion and keeps the
// old behaviour.
import {
  condition,
  DefaultVersion,
  defineSignal,
  getVersion,
  proxyActivities,
  setHandler,
} from '@odin/sdk/workflow';
import type * as activities from './activities.js';

const { notify } = proxyActivities<typeof activities>({ startToCloseTimeout: '30 seconds' });

export const packed = defineSignal('packed');

export async function fulfilment(orderId: string): Promise<string[]> {
  // Asked at the start, where every old run has already been: old histories replay through here without a marker.
  const version = getVersion('notify-by-sms', DefaultVersion, 1);
  let isPacked = false;
  setHandler(packed, () => {
    isPacked = true;
  });
  await condition(() => isPacked);
  const sent = [await notify('email', orderId)];
  if (version >= 1) sent.push(await notify('sms', orderId));
  return sent;
}

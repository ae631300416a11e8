// Workflows the UI tests show: an order with an activity that succeeds on its second attempt, a timer, a child
// workflow and an approval signal; and a workflow that only waits (to be terminated).
import {
  condition,
  defineQuery,
  defineSignal,
  executeChild,
  proxyActivities,
  setHandler,
  sleep,
} from '@odin/sdk/workflow';

const acts = proxyActivities<{
  greet(name: string): Promise<string>;
  reserve(item: string): Promise<string>;
}>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '50ms', maximumAttempts: 3 },
});

export const approve = defineSignal<[string]>('approve');
export const stage = defineQuery<string>('stage');

export async function uiPacking(item: string): Promise<string> {
  await sleep(20);
  return `packed ${item}`;
}

export async function uiOrder(
  customer: string,
  item: string,
): Promise<{ greeting: string; reservation: string; packing: string; approval: string }> {
  let approval: string | undefined;
  let current = 'greeting';
  setHandler(approve, (note: string) => {
    approval = note;
  });
  setHandler(stage, () => current);
  const greeting = await acts.greet(customer);
  current = 'reserving';
  const reservation = await acts.reserve(item);
  current = 'waiting';
  await sleep(30);
  const packing = await executeChild(uiPacking, { args: [item], workflowId: `${customer}-packing` });
  current = 'awaiting approval';
  await condition(() => approval !== undefined);
  return { greeting, reservation, packing, approval: approval ?? '' };
}

export async function uiIdle(): Promise<void> {
  await condition(() => false);
}

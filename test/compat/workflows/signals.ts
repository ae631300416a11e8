import { condition, defineSignal, setHandler } from '@temporalio/workflow';

export const addSignal = defineSignal<[string]>('add');

/** Collects `add` signals in arrival order until it has `expected` of them. */
export async function signalCollector(expected: number): Promise<string[]> {
  const items: string[] = [];
  setHandler(addSignal, (item) => {
    items.push(item);
  });
  await condition(() => items.length >= expected);
  return items;
}

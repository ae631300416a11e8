// The @odin/sdk workflow of the update interop scenario (29): plain async functions, no bundler. The same cart as
// the official one in workflows/updates.ts, with the same update names.
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  setHandler,
  sleep,
} from '@odin/sdk/workflow';

export const addItem = defineUpdate<number, [string]>('addItem');
export const slowAdd = defineUpdate<number, [string, number]>('slowAdd');
export const checkout = defineUpdate<never, [string]>('checkout');
export const finish = defineUpdate<string[]>('finish');
export const items = defineQuery<string[]>('items');

export async function odinCart(initial: string[] = []): Promise<string[]> {
  const list = [...initial];
  let finishing = false;
  const refuse = (item: string) => {
    if (!item) throw new Error('An item needs a name');
    if (item === 'forbidden') throw new Error(`Item ${item} is not allowed`);
  };
  setHandler(
    addItem,
    (item) => {
      list.push(item);
      return list.length;
    },
    { validator: refuse },
  );
  setHandler(
    slowAdd,
    async (item, ms) => {
      await sleep(ms);
      list.push(item);
      return list.length;
    },
    { validator: (item) => refuse(item) },
  );
  setHandler(checkout, (reason) => {
    throw ApplicationFailure.nonRetryable(`Checkout refused: ${reason}`, 'CheckoutRefused');
  });
  setHandler(finish, () => {
    finishing = true;
    return [...list];
  });
  setHandler(items, () => [...list]);
  await condition(() => finishing);
  await condition(allHandlersFinished);
  return list;
}

// The cart of workflows/updates.ts for the official @temporalio/worker (bundled by its own bundler).
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  setHandler,
  sleep,
} from '@temporalio/workflow';

export const addItem = defineUpdate<number, [string]>('addItem');
export const slowAdd = defineUpdate<number, [string, number]>('slowAdd');
export const checkout = defineUpdate<never, [string]>('checkout');
export const finish = defineUpdate<string[]>('finish');
export const items = defineQuery<string[]>('items');

export async function officialCart(initial: string[] = []): Promise<string[]> {
  const list = [...initial];
  let finishing = false;
  const refuse = (item: string) => {
    if (!item) throw new Error('An item needs a name');
    if (item === 'forbidden') throw new Error(`Item ${item} is not allowed`);
  };
  setHandler(
    addItem,
    (item: string) => {
      list.push(item);
      return list.length;
    },
    { validator: refuse },
  );
  setHandler(
    slowAdd,
    async (item: string, ms: number) => {
      await sleep(ms);
      list.push(item);
      return list.length;
    },
    { validator: (item: string, _ms: number) => refuse(item) },
  );
  setHandler(checkout, (reason: string) => {
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

/** The same workflow under the type name our worker's runs have, so the official runtime can replay their histories. */
export const cart = officialCart;

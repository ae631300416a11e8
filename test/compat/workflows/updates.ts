import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineUpdate,
  setHandler,
  sleep,
} from '@temporalio/workflow';

export const addItemUpdate = defineUpdate<number, [string]>('addItem');
export const slowAddUpdate = defineUpdate<number, [string, number]>('slowAdd');
export const finishUpdate = defineUpdate<string[]>('finish');
export const checkoutUpdate = defineUpdate<never, [string]>('checkout');
export const itemsQuery = defineQuery<string[]>('items');

/**
 * A cart taking updates: `addItem` (its validator refuses empty and "forbidden" items) answers the new item count,
 * `slowAdd` sleeps before it adds, `checkout` fails (an update failure, not a rejection), `finish` makes the workflow
 * return once every handler finished.
 */
export async function cart(initial: string[] = []): Promise<string[]> {
  const items = [...initial];
  let finishing = false;
  const refuse = (item: string) => {
    if (!item) throw new Error('An item needs a name');
    if (item === 'forbidden') throw new Error(`Item ${item} is not allowed`);
  };
  setHandler(
    addItemUpdate,
    (item) => {
      items.push(item);
      return items.length;
    },
    { validator: refuse },
  );
  setHandler(
    slowAddUpdate,
    async (item, ms) => {
      await sleep(ms);
      items.push(item);
      return items.length;
    },
    { validator: (item: string, _ms: number) => refuse(item) },
  );
  setHandler(checkoutUpdate, (reason) => {
    throw ApplicationFailure.nonRetryable(`Checkout refused: ${reason}`, 'CheckoutRefused');
  });
  setHandler(finishUpdate, () => {
    finishing = true;
    return [...items];
  });
  setHandler(itemsQuery, () => [...items]);
  await condition(() => finishing);
  await condition(allHandlersFinished);
  return items;
}

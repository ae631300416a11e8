// Workflows taking updates (the same shapes as the official workflows in official-workflows/updates.ts).
import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
  sleep,
} from '../../src/workflow/index.js';

export const addItem = defineUpdate<number, [string]>('addItem');
export const slowAdd = defineUpdate<number, [string, number]>('slowAdd');
export const greetItem = defineUpdate<string, [string]>('greetItem');
export const checkout = defineUpdate<never, [string]>('checkout');
export const finish = defineUpdate<string[]>('finish');
export const items = defineQuery<string[]>('items');
export const touch = defineSignal<[]>('touch');

const { greet } = proxyActivities<{ greet(name: string): Promise<string> }>({
  startToCloseTimeout: '1 minute',
});

/**
 * A cart taking updates: `addItem` (its validator refuses empty and "forbidden" items) answers the new item count,
 * `slowAdd` sleeps (a durable timer) before it adds, `greetItem` runs an activity, `checkout` fails (an update
 * failure, not a rejection), `finish` makes the workflow return once every handler finished.
 */
export async function cart(initial: string[] = []): Promise<string[]> {
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
  setHandler(greetItem, async (item) => {
    const greeting = await greet(item);
    list.push(item);
    return greeting;
  });
  setHandler(checkout, (reason) => {
    throw ApplicationFailure.nonRetryable(`Checkout refused: ${reason}`, 'CheckoutRefused');
  });
  setHandler(finish, () => {
    finishing = true;
    return [...list];
  });
  setHandler(items, () => [...list]);
  setHandler(touch, () => undefined);
  await condition(() => finishing);
  await condition(allHandlersFinished);
  return list;
}

/** Throws a plain error from its update handler: a bug, which fails the workflow task rather than the update. */
export async function buggyUpdate(): Promise<void> {
  let done = false;
  setHandler(defineUpdate<void>('explode'), () => {
    throw new TypeError('bug in the handler');
  });
  setHandler(defineUpdate<void>('done'), () => {
    done = true;
  });
  await condition(() => done);
}

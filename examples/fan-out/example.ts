import type { ExampleDefinition } from '../shared/environment.js';
import * as activities from './activities.js';
import * as workflows from './workflows.js';

type Outcome = Awaited<ReturnType<typeof workflows.priceBasket>>;

/** One basket that prices, one with an unknown SKU that fails the whole group. */
export const fanOutExample: ExampleDefinition<{ basket: Outcome; withUnknown: Outcome }> = {
  taskQueue: 'example-fan-out',
  workflows,
  activities,
  async drive(client) {
    const suffix = Date.now().toString(36);
    const basket = await client.execute(workflows.priceBasket, {
      taskQueue: 'example-fan-out',
      workflowId: `basket-${suffix}`,
      args: [['apple', 'pear', 'plum', 'fig', 'kiwi']],
    });
    const withUnknown = await client.execute(workflows.priceBasket, {
      taskQueue: 'example-fan-out',
      workflowId: `basket-unknown-${suffix}`,
      args: [['apple', 'durian']],
    });
    return { basket, withUnknown };
  },
};

import type { ExampleDefinition } from '../shared/environment.js';
import * as activities from './activities.js';
import { ledger } from './ledger.js';
import * as workflows from './workflows.js';

/** Two orders: one ships, one cannot and is compensated. */
export const orderSagaExample: ExampleDefinition<{
  shipped: workflows.OrderOutcome;
  refused: workflows.OrderOutcome;
  ledger: string[];
}> = {
  taskQueue: 'example-order-saga',
  workflows,
  activities,
  async drive(client) {
    const order = { item: 'widget', quantity: 2, amount: 40 };
    const suffix = Date.now().toString(36);
    const shipped = await client.execute(workflows.orderSaga, {
      taskQueue: 'example-order-saga',
      workflowId: `order-ok-${suffix}`,
      args: [{ ...order, orderId: 'o-1', address: '1 Main St' }],
    });
    const refused = await client.execute(workflows.orderSaga, {
      taskQueue: 'example-order-saga',
      workflowId: `order-refused-${suffix}`,
      args: [{ ...order, orderId: 'o-2', address: 'nowhere' }],
    });
    return { shipped, refused, ledger: [...ledger] };
  },
};

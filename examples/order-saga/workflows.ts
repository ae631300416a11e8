// Order processing as a Hugo saga: reserve, charge, ship. When a step fails, the compensations registered by
// the steps that succeeded run in reverse order (refund, then release), each as a durable activity.
import { createSaga, fail, HugoError, ok } from '@odin/hugo';
import { proxyActivities } from '@odin/sdk/workflow';
import { rootMessage } from '../shared/errors.js';
import type * as activities from './activities.js';

const acts = proxyActivities<typeof activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 3 },
});

export interface OrderOutcome {
  status: 'completed' | 'compensated';
  trackingNumber?: string;
  reason?: string;
}

export async function orderSaga(order: activities.Order): Promise<OrderOutcome> {
  const outcome = await createSaga()
    .addStep(
      'reserve',
      async () => ok(await acts.reserveInventory(order)),
      async (reservationId: string) => acts.releaseInventory(reservationId),
    )
    .addStep(
      'charge',
      async () => ok(await acts.chargePayment(order)),
      async (paymentId: string) => acts.refundPayment(paymentId),
    )
    .addStep('ship', async () => {
      try {
        return ok(await acts.shipOrder(order));
      } catch (error) {
        // An activity failure wraps the activity's own error; the saga reports the root cause.
        return fail(HugoError.from(`shipping failed: ${rootMessage(error)}`, 'order.shipping_refused'));
      }
    })
    .execute();
  if (outcome.ok) return { status: 'completed', trackingNumber: outcome.value.get<string>('ship') ?? '' };
  return { status: 'compensated', reason: outcome.error.message };
}

// Fan-out with Hugo's ErrGroup: one activity per SKU, all in flight at once. The first failure cancels the
// group's signal, and with it the activities still running (their CancellationScope follows the signal).
import { ErrGroup, fail, HugoError, ok } from '@odin/hugo';
import { CancellationScope, proxyActivities } from '@odin/sdk/workflow';
import { rootMessage } from '../shared/errors.js';
import type * as activities from './activities.js';

const { priceItem } = proxyActivities<typeof activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 2 },
});

export interface Quote {
  prices: Record<string, number>;
  total: number;
}

export async function priceBasket(skus: string[]): Promise<Quote | { error: string }> {
  const group = new ErrGroup(CancellationScope.current().signal);
  const prices: Record<string, number> = {};
  for (const sku of skus) {
    group.go(async () => {
      try {
        prices[sku] = await priceItem(sku);
        return ok(undefined);
      } catch (error) {
        return fail(HugoError.from(`pricing ${sku} failed: ${rootMessage(error)}`, 'basket.pricing_failed'));
      }
    });
  }
  const outcome = await group.wait();
  if (!outcome.ok) return { error: outcome.error.message };
  const total = Object.values(prices).reduce((sum, price) => sum + price, 0);
  return { prices, total };
}

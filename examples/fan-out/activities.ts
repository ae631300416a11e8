// Fan-out activities: price one SKU. An unknown SKU is a non-retryable failure.
import { ApplicationFailure } from '@odin/sdk';

const prices: Record<string, number> = { apple: 3, pear: 4, plum: 2, fig: 7, kiwi: 5 };

export async function priceItem(sku: string): Promise<number> {
  const price = prices[sku];
  if (price === undefined) throw ApplicationFailure.nonRetryable(`unknown SKU ${sku}`, 'UnknownSku');
  return price;
}

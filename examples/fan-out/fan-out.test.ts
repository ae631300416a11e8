import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withDevServer } from '../shared/dev-server.js';
import { runExample } from '../shared/environment.js';
import { fanOutExample } from './example.js';

test('fan-out: ErrGroup prices every SKU concurrently; one unknown SKU fails the whole basket', async () => {
  const outcome = await withDevServer((address) => runExample(address, fanOutExample));
  assert.deepEqual(outcome.basket, {
    prices: { apple: 3, pear: 4, plum: 2, fig: 7, kiwi: 5 },
    total: 21,
  });
  assert.deepEqual(outcome.withUnknown, { error: 'pricing durian failed: unknown SKU durian' });
});

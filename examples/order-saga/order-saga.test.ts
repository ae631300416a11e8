import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withDevServer } from '../shared/dev-server.js';
import { runExample } from '../shared/environment.js';
import { orderSagaExample } from './example.js';

test('order saga: a shippable order completes; a refused one is refunded and released in reverse order', async () => {
  const outcome = await withDevServer((address) => runExample(address, orderSagaExample));
  assert.deepEqual(outcome.shipped, { status: 'completed', trackingNumber: 'trk-o-1' });
  assert.equal(outcome.refused.status, 'compensated');
  assert.match(outcome.refused.reason ?? '', /cannot ship to nowhere/);
  assert.deepEqual(outcome.ledger, [
    'reserve 2 x widget',
    'charge 40',
    'ship to 1 Main St',
    'reserve 2 x widget',
    'charge 40',
    'refund pay-o-2',
    'release res-o-2',
  ]);
});

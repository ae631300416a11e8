import assert from 'node:assert/strict';
import { test } from 'node:test';
import { taskQueueRangeHash } from '../src/range-hash.js';

test('the task queue range hash is a stable unsigned 32-bit value that separates queue types', () => {
  const a = taskQueueRangeHash('ns', 'orders', 1);
  assert.equal(a, taskQueueRangeHash('ns', 'orders', 1));
  assert.notEqual(a, taskQueueRangeHash('ns', 'orders', 2));
  assert.notEqual(a, taskQueueRangeHash('ns2', 'orders', 1));
  assert.ok(Number.isInteger(a) && a >= 0 && a < 2 ** 32);
  // Pinned: the value is part of stored keys and must never change between releases.
  assert.equal(a, 3193399376);
});

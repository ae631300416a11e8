import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedLock } from '../src/workflow-lock.js';

test('the keyed lock runs holders of one key one at a time, in arrival order, and other keys alongside', async () => {
  const lock = new KeyedLock();
  const order: string[] = [];
  const hold = async (key: string, name: string) => {
    const held = await lock.acquire(key);
    order.push(`${name}+`);
    await new Promise((resolve) => setImmediate(resolve));
    order.push(`${name}-`);
    held.release();
  };
  await Promise.all([hold('w1', 'a'), hold('w1', 'b'), hold('w2', 'c'), hold('w1', 'd')]);
  const w1 = order.filter((e) => !e.startsWith('c'));
  assert.deepEqual(w1, ['a+', 'a-', 'b+', 'b-', 'd+', 'd-']);
  assert.ok(order.indexOf('c+') < order.indexOf('a-'), 'another key is not held up');
});

test('a key leaves the lock table when nobody holds or waits for it; releasing twice is harmless', async () => {
  const lock = new KeyedLock();
  const first = await lock.acquire('w');
  const second = lock.acquire('w');
  assert.equal(lock.size, 1);
  first.release();
  first.release();
  (await second).release();
  assert.equal(lock.size, 0);
});

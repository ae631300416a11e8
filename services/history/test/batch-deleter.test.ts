import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '@odin/hugo';
import { BatchDeleter } from '../src/queues/batch-deleter.js';

test('with a delay, acks collected within it are deleted by one call after it', async () => {
  const clock = new VirtualClock();
  const calls: number[][] = [];
  const deleted: number[] = [];
  const deleter = new BatchDeleter<number>(
    async (keys) => {
      calls.push([...keys]);
    },
    (error) => assert.fail(String(error)),
    (keys) => deleted.push(...keys),
    { clock, delayMs: 500 },
  );
  deleter.add(1);
  deleter.add(2);
  await clock.advance(499);
  deleter.add(3);
  assert.deepEqual(calls, []);
  await clock.advance(1);
  await deleter.flush();
  assert.deepEqual(calls, [[1, 2, 3]]);
  assert.deepEqual(deleted, [1, 2, 3]);
});

test('flush deletes pending acks at once instead of waiting for the delay', async () => {
  const clock = new VirtualClock();
  const calls: number[][] = [];
  const deleter = new BatchDeleter<number>(
    async (keys) => {
      calls.push([...keys]);
    },
    (error) => assert.fail(String(error)),
    () => {},
    { clock, delayMs: 60_000 },
  );
  deleter.add(7);
  deleter.add(8);
  await deleter.flush();
  assert.deepEqual(calls, [[7, 8]]);
  // The cancelled delay timer must not fire a second, empty delete.
  await clock.advance(60_000);
  assert.deepEqual(calls, [[7, 8]]);
});

test('without a delay, the first ack is deleted at once and later ones join the next call', async () => {
  const calls: number[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const deleter = new BatchDeleter<number>(
    async (keys) => {
      calls.push([...keys]);
      if (calls.length === 1) await gate;
    },
    (error) => assert.fail(String(error)),
  );
  deleter.add(1);
  deleter.add(2);
  deleter.add(3);
  release();
  await deleter.flush();
  assert.deepEqual(calls, [[1], [2, 3]]);
});

test('a failed delete is reported and its keys still leave the pending set', async () => {
  const errors: unknown[] = [];
  const deleted: number[] = [];
  const deleter = new BatchDeleter<number>(
    async () => {
      throw new Error('disk full');
    },
    (error) => errors.push(error),
    (keys) => deleted.push(...keys),
  );
  deleter.add(4);
  await deleter.flush();
  assert.equal(errors.length, 1);
  assert.deepEqual(deleted, [4]);
});

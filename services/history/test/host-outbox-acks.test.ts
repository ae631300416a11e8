import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flushMicrotasks, VirtualClock } from '@odin/hugo';
import type { OutboxAcks } from '@odin/persistence';
import { HostOutboxAcks } from '../src/queues/host-outbox-acks.js';

function setup(options: { failDeletes?: boolean } = {}) {
  const clock = new VirtualClock(0);
  const deletes: OutboxAcks[] = [];
  const errors: unknown[] = [];
  const store = {
    async deleteAcked(acks: OutboxAcks) {
      if (options.failDeletes) throw new Error('database down');
      deletes.push(acks);
    },
  };
  const acks = new HostOutboxAcks(store, clock, 500, (e) => errors.push(e));
  return { clock, deletes, errors, acks, store, options };
}

test('a commit takes every shard’s acks and reports them deleted only once it committed', async () => {
  const { acks, deletes, clock } = setup();
  const gone: string[] = [];
  acks.transferDeleter(1, (id) => gone.push(`transfer 1/${id}`)).add(10);
  acks.transferDeleter(2, (id) => gone.push(`transfer 2/${id}`)).add(20);
  acks.timerDeleter(1, (k) => gone.push(`timer 1/${k.taskId}`)).add({ fireTime: 5, taskId: 11 });
  const taken = acks.take()!;
  assert.deepEqual(taken.acks, {
    transfer: [
      { shardId: 1, taskId: 10 },
      { shardId: 2, taskId: 20 },
    ],
    timer: [{ shardId: 1, fireTime: 5, taskId: 11 }],
  });
  assert.equal(gone.length, 0);
  taken.settle(true);
  assert.deepEqual(gone, ['transfer 1/10', 'transfer 2/20', 'timer 1/11']);
  // Nothing left: the idle delay deletes nothing on its own.
  await clock.advance(1_000);
  assert.equal(deletes.length, 0);
  assert.equal(acks.take(), undefined);
});

test('acks of a failed commit come back and, with no commit after, go in a transaction of their own', async () => {
  const { acks, deletes, clock } = setup();
  const gone: number[] = [];
  const deleter = acks.transferDeleter(3, (id) => gone.push(id));
  deleter.add(1);
  const taken = acks.take()!;
  deleter.add(2);
  taken.settle(false);
  await clock.advance(499);
  assert.equal(deletes.length, 0);
  await clock.advance(1);
  await flushMicrotasks(5);
  assert.deepEqual(deletes, [
    {
      transfer: [
        { shardId: 3, taskId: 1 },
        { shardId: 3, taskId: 2 },
      ],
      timer: [],
    },
  ]);
  assert.deepEqual(gone, [1, 2]);
});

test('a failed delete is reported and retried after the delay; flush deletes at once', async () => {
  const ctx = setup({ failDeletes: true });
  const gone: number[] = [];
  ctx.acks.transferDeleter(4, (id) => gone.push(id)).add(7);
  await ctx.acks.flush();
  assert.equal(ctx.errors.length, 1);
  assert.equal(gone.length, 0);
  ctx.options.failDeletes = false;
  await ctx.clock.advance(500);
  await flushMicrotasks(5);
  assert.deepEqual(gone, [7]);
  ctx.acks.transferDeleter(4, (id) => gone.push(id)).add(8);
  await ctx.acks.flush();
  assert.deepEqual(gone, [7, 8]);
});

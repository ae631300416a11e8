import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { OutboxAcks } from '@odin/persistence';
import { settle, setup, start } from './harness.js';

test('finished transfer tasks are deleted inside the next commit, not by statements of their own', async () => {
  const h = await setup();
  after(() => h.close());
  const standalone: string[] = [];
  const outbox = h.store.outbox;
  outbox.deleteImmediateTasks = async () => {
    standalone.push('deleteImmediateTasks');
    return 0;
  };
  outbox.deleteTimerTasks = async () => {
    standalone.push('deleteTimerTasks');
    return 0;
  };
  const carried: OutboxAcks[] = [];
  const commit = h.store.executions.commitShardBatches.bind(h.store.executions);
  h.store.executions.commitShardBatches = (batches, acks) => {
    if (acks) carried.push(acks);
    return commit(batches, acks);
  };
  const transferRows = async () => {
    let rows = 0;
    for (let shard = 1; shard <= 4; shard++) {
      rows += (await outbox.readImmediateTasks(shard, 'transfer', { afterTaskId: 0, limit: 100 })).length;
    }
    return rows;
  };

  await start(h, 'ack-a');
  await settle();
  // The first run's workflow task went to matching: its row waits for a commit to ride on.
  assert.equal(h.matching.workflowTasks.length, 1);
  assert.equal(await transferRows(), 1);
  await start(h, 'ack-b');
  await settle();
  assert.equal(carried.flatMap((a) => a.transfer).length, 1, 'the second start carried the first one’s ack');
  assert.equal(await transferRows(), 1, 'only the second run’s row is left');
  // With no commit after it, the last ack goes by itself after the delay.
  await h.clock.advance(1_000);
  await settle();
  assert.equal(await transferRows(), 0);
  assert.deepEqual(standalone, []);
});

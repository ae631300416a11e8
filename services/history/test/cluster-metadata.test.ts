import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '@odin/hugo';
import { ClusterMetadataMismatchError, openStore } from '@odin/persistence';
import { HistoryService } from '../src/index.js';
import { FakeMatching } from './harness.js';

test('a host configured with another shard count than the cluster refuses to start', async () => {
  const clock = new VirtualClock();
  const store = await openStore({ url: 'sqlite::memory:', migrate: true, clock });
  const first = new HistoryService({ clock, store }, { matching: new FakeMatching(), shardCount: 4 });
  await first.start();
  await first.stop();
  const other = new HistoryService({ clock, store }, { matching: new FakeMatching(), shardCount: 8 });
  await assert.rejects(other.start(), ClusterMetadataMismatchError);
  assert.equal((await store.shards.listShards()).length, 4, 'the refused host acquired nothing');
  await store.close();
});

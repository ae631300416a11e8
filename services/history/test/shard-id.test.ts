import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shardIdFor } from '../src/index.js';

function reference(namespaceId: string, workflowId: string, shardCount: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(`${namespaceId}_${workflowId}`, 'utf8')) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return (hash % shardCount) + 1;
}

test('shard ids are FNV-1a of the UTF-8 of "namespaceId_workflowId", 1-based, stable', () => {
  const ids = ['order-1', 'Bestellung-ß', '注文-7', 'emoji-🚀-x', '', 'a'.repeat(255)];
  for (const id of ids) {
    for (const n of [1, 4, 512]) {
      const shard = shardIdFor('ns-1', id, n);
      assert.equal(shard, reference('ns-1', id, n), id);
      assert.ok(shard >= 1 && shard <= n);
    }
  }
  // Pinned values: changing the mapping would orphan every existing workflow of a cluster.
  assert.equal(shardIdFor('ns', 'wf', 512), 103);
});

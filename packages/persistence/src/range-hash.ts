/**
 * 32-bit FNV-1a of a task queue's identity, stored as task_queues.range_hash (and matching_tasks.range_hash) so the
 * tables can be partitioned or sharded by it later without rewriting keys. Stable forever: it is part of the keys.
 */
export function taskQueueRangeHash(namespaceId: string, name: string, type: number): number {
  const bytes = new TextEncoder().encode(`${namespaceId}\u0000${name}\u0000${type}`);
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Which history shard owns a workflow: `fnv1a32(utf8(namespaceId + "_" + workflowId)) mod shardCount + 1`.
 * Shard ids are 1-based like Temporal's. FNV-1a is stable across processes, versions and platforms, which is all
 * that matters: the mapping must never change for a cluster once created (its shard count is fixed too).
 */
export function shardIdFor(namespaceId: string, workflowId: string, shardCount: number): number {
  let hash = 0x811c9dc5;
  const mix = (byte: number) => {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  };
  // FNV-1a over the UTF-8 bytes, encoded on the fly (no buffer per call: this runs on every request).
  for (const text of [namespaceId, '_', workflowId]) {
    for (let i = 0; i < text.length; i++) {
      let c = text.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const low = text.charCodeAt(i + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
          i++;
        }
      } else if (c >= 0xd800 && c <= 0xdfff) {
        c = 0xfffd;
      }
      if (c < 0x80) mix(c);
      else if (c < 0x800) {
        mix(0xc0 | (c >> 6));
        mix(0x80 | (c & 0x3f));
      } else if (c < 0x10000) {
        mix(0xe0 | (c >> 12));
        mix(0x80 | ((c >> 6) & 0x3f));
        mix(0x80 | (c & 0x3f));
      } else {
        mix(0xf0 | (c >> 18));
        mix(0x80 | ((c >> 12) & 0x3f));
        mix(0x80 | ((c >> 6) & 0x3f));
        mix(0x80 | (c & 0x3f));
      }
    }
  }
  return (hash % shardCount) + 1;
}

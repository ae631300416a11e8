/**
 * Which history shard owns a workflow: `fnv1a32(utf8(namespaceId + "_" + workflowId)) mod shardCount + 1`.
 * Shard ids are 1-based like Temporal's. FNV-1a is stable across processes, versions and platforms, which is all
 * that matters: the mapping must never change for a cluster once created (its shard count is fixed too).
 */
export function shardIdFor(namespaceId: string, workflowId: string, shardCount: number): number {
  // FNV-1a over the UTF-8 bytes, encoded on the fly, in one function with the hash in a local: no buffer, array,
  // closure or boxed intermediate number per call (this runs several times on every request). Byte for byte as
  // shard ids have always been computed (the mapping must never change): a surrogate pair is one code point, a lone
  // low surrogate or a high one at the end of a part is U+FFFD, a high one followed by anything else is encoded as is.
  let h = 0x811c9dc5;
  for (let part = 0; part < 3; part++) {
    const text = part === 0 ? namespaceId : part === 1 ? '_' : workflowId;
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
      if (c < 0x80) h = Math.imul(h ^ c, FNV_PRIME);
      else if (c < 0x800) {
        h = Math.imul(h ^ (0xc0 | (c >> 6)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
      } else if (c < 0x10000) {
        h = Math.imul(h ^ (0xe0 | (c >> 12)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
      } else {
        h = Math.imul(h ^ (0xf0 | (c >> 18)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | ((c >> 12) & 0x3f)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | ((c >> 6) & 0x3f)), FNV_PRIME);
        h = Math.imul(h ^ (0x80 | (c & 0x3f)), FNV_PRIME);
      }
    }
  }
  // Math.imul keeps the low 32 bits (as a signed int32); >>> 0 reads them unsigned, as FNV-1a's 32-bit hash.
  return ((h >>> 0) % shardCount) + 1;
}

const FNV_PRIME = 0x01000193;

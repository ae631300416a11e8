/**
 * Bytes in memory of their own. Node hands out Buffers of under half its pool size (`Buffer.poolSize`, 64 KiB on
 * Node 24) as views into a shared pool slab: `Buffer.from`, `Buffer.allocUnsafe`, protobufjs's encoder, and grpc's
 * message buffers all do. A small view kept long (a cached event's encoding, a payload decoded from a request, an
 * armed timer task's data) keeps its whole slab alive, about 64 KiB for a few hundred bytes. What is kept long is
 * therefore copied here into an ArrayBuffer of exactly its size, which Node never pools.
 */

/** A copy of `bytes` in an ArrayBuffer of its own, as a Buffer (drivers and encoders treat Buffers as bytes). */
export function ownedBuffer(bytes: Uint8Array): Buffer {
  const out = Buffer.from(new ArrayBuffer(bytes.byteLength));
  out.set(bytes);
  return out;
}

/**
 * Copies of several byte arrays that are kept and dropped together (one transition's events), side by side in one
 * ArrayBuffer of their total size: one allocation instead of one each.
 */
export function ownedBuffers(list: readonly Uint8Array[]): Buffer[] {
  let total = 0;
  for (const bytes of list) total += bytes.byteLength;
  const memory = new ArrayBuffer(total);
  let at = 0;
  return list.map((bytes) => {
    const out = Buffer.from(memory, at, bytes.byteLength);
    out.set(bytes);
    at += bytes.byteLength;
    return out;
  });
}

/** The UTF-8 encoding of `text` in an ArrayBuffer of its own. */
export function ownedUtf8(text: string): Buffer {
  const out = Buffer.from(new ArrayBuffer(Buffer.byteLength(text, 'utf8')));
  out.write(text, 'utf8');
  return out;
}

// gRPC message framing (a 1-byte compressed flag, a 4-byte big-endian length, the message), read from a stream's DATA
// chunks with the size limit applied to the length prefix, so an oversized message is refused before any of it is
// buffered. The frontend's gRPC server reads requests with it and `@odin/sdk` the answers of its multiplexed stream.

export interface FramedMessage {
  /** The compressed flag: the message is in the stream's `grpc-encoding`. */
  readonly compressed: boolean;
  readonly bytes: Buffer;
}

const PREFIX = 5;

/**
 * Collects a stream's DATA chunks into messages. A message inside one chunk is handed on as a view of it (no copy):
 * whoever decodes it copies what it keeps.
 */
export class GrpcMessageReader {
  readonly #maxBytes: number;
  readonly #tooLarge: (length: number, maxBytes: number) => Error;
  /** Bytes of an incomplete prefix or message. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** The length of the message being read, once its prefix is complete; -1 while reading a prefix. */
  #length = -1;
  #compressed = false;

  /** `tooLarge`: the error `push` throws for a message longer than `maxBytes`. */
  constructor(maxBytes: number, tooLarge: (length: number, maxBytes: number) => Error) {
    this.#maxBytes = maxBytes;
    this.#tooLarge = tooLarge;
  }

  /** The messages `chunk` completes. Throws `tooLarge`'s error for a length over the limit. */
  push(chunk: Buffer): FramedMessage[] {
    const out: FramedMessage[] = [];
    let at = 0;
    // Fast path: nothing pending, the chunk holds whole messages.
    while (this.#pendingBytes === 0 && this.#length < 0 && chunk.length - at >= PREFIX) {
      const length = this.#lengthOf(chunk.readUInt32BE(at + 1));
      const compressed = chunk[at] === 1;
      if (chunk.length - at - PREFIX >= length) {
        out.push({ compressed, bytes: chunk.subarray(at + PREFIX, at + PREFIX + length) });
        at += PREFIX + length;
        continue;
      }
      this.#length = length;
      this.#compressed = compressed;
      at += PREFIX;
    }
    if (at < chunk.length) this.#slow(at === 0 ? chunk : chunk.subarray(at), out);
    return out;
  }

  #lengthOf(length: number): number {
    if (length > this.#maxBytes) throw this.#tooLarge(length, this.#maxBytes);
    return length;
  }

  #slow(chunk: Buffer, out: FramedMessage[]): void {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    for (;;) {
      if (this.#length < 0) {
        if (this.#pendingBytes < PREFIX) return;
        const joined = this.#take(PREFIX);
        this.#compressed = joined[0] === 1;
        this.#length = this.#lengthOf(joined.readUInt32BE(1));
      }
      if (this.#pendingBytes < this.#length) return;
      const bytes = this.#take(this.#length);
      out.push({ compressed: this.#compressed, bytes });
      this.#length = -1;
    }
  }

  /** The first `count` pending bytes, removed from the pending chunks. */
  #take(count: number): Buffer {
    const joined = this.#pending.length === 1 ? this.#pending[0]! : Buffer.concat(this.#pending);
    const taken = joined.subarray(0, count);
    const rest = joined.subarray(count);
    this.#pending = rest.length > 0 ? [rest] : [];
    this.#pendingBytes = rest.length;
    return taken;
  }
}

/** One framed, uncompressed message. */
export function frameMessage(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(message.byteLength + PREFIX);
  out[0] = 0;
  out.writeUInt32BE(message.byteLength, 1);
  out.set(message, PREFIX);
  return out;
}

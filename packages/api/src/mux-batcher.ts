// Writes the frames of a multiplexed call stream (mux-frame.ts), several at a time once the peer reads batches.
import { encodeMuxBatch } from './mux-frame.js';

/**
 * A batch is written at once when it reaches this size, not at the end of the turn, and a frame of this size goes
 * alone: large answers (history pages) wait for nothing, and batching never brings a message near a reader's limit.
 */
const FLUSH_BYTES = 256 * 1024;

/**
 * Collects the frames written to one stream during a turn of the event loop and writes them as one BATCH message
 * when the turn's I/O is done (setImmediate), a single frame as it is. Until `batching` is set (the peer said it
 * reads batches) every frame is written at once. Order is kept: frames leave in the order they were pushed.
 */
export class MuxFrameBatcher {
  #batching = false;
  #queue: Buffer[] = [];
  #bytes = 0;
  #scheduled = false;
  #closed = false;

  /**
   * `grpcFramed`: the frames pushed are whole gRPC messages (encodeMuxMessage, for streams framed by hand), and the
   * batch is written as one too.
   */
  constructor(
    private readonly write: (bytes: Buffer) => void,
    private readonly grpcFramed = false,
  ) {}

  /** The peer reads BATCH messages: frames are collected from now on. */
  enableBatching(): void {
    this.#batching = true;
  }

  push(frame: Buffer): void {
    if (this.#closed) return;
    if (!this.#batching) {
      this.write(frame);
      return;
    }
    if (frame.length >= FLUSH_BYTES) {
      // A large frame goes alone, after what is queued: a batch never grows past twice FLUSH_BYTES.
      this.flush();
      this.write(frame);
      return;
    }
    this.#queue.push(frame);
    this.#bytes += frame.length;
    if (this.#bytes >= FLUSH_BYTES) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.flush();
      });
    }
  }

  /** Writes what is queued now (before the stream ends, so nothing queued is lost). */
  flush(): void {
    if (this.#closed || this.#queue.length === 0) return;
    const frames = this.#queue;
    this.#queue = [];
    this.#bytes = 0;
    this.write(frames.length === 1 ? frames[0]! : encodeMuxBatch(frames, this.grpcFramed));
  }

  /** The stream is gone: queued and later frames are dropped. */
  close(): void {
    this.#closed = true;
    this.#queue = [];
    this.#bytes = 0;
  }
}

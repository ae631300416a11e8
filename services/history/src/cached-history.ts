import { decodeEvent, encodingOf, type HistoryEvent, rememberEncoding } from './util/codec.js';

/**
 * A run's committed history as the run cache holds it. A running run's events are held decoded: its next transitions
 * and poll responses read them. A closed run's are held as their encodings only (`compact`), decoded again when read:
 * closed runs are most of what the cache holds, they are read rarely and a little at a time (the close event for a
 * result), and a decoded W1 event takes about 16 times its encoded size in objects (services/history/README.md).
 */
export class CachedHistory {
  #decoded: HistoryEvent[] | undefined;
  #encoded: Uint8Array[] | undefined;

  constructor(events: readonly HistoryEvent[]) {
    this.#decoded = [...events];
  }

  /** Events held: 1..length by event id. */
  get length(): number {
    return (this.#decoded ?? this.#encoded)!.length;
  }

  /** Whether only encodings are held. */
  get isCompact(): boolean {
    return this.#decoded === undefined;
  }

  append(events: readonly HistoryEvent[]): void {
    if (this.#decoded) this.#decoded.push(...events);
    else this.#encoded!.push(...events.map(encodingOf));
  }

  /** Events [start, end) by position (event id - 1), as Array.slice; decoded afresh when only encodings are held. */
  slice(start: number, end: number): HistoryEvent[] {
    if (this.#decoded) return this.#decoded.slice(start, end);
    return this.#encoded!.slice(start, end).map((bytes) => {
      const event = decodeEvent(bytes);
      rememberEncoding(event, bytes);
      return event;
    });
  }

  /** Keeps the encodings of the events only (each event's remembered encoding: no event is encoded again). */
  compact(): void {
    if (!this.#decoded) return;
    this.#encoded = this.#decoded.map(encodingOf);
    this.#decoded = undefined;
  }
}

import { encodeEvent } from '../util/codec.js';
import type { Mutation } from './history-builder.js';

/** Who terminates a run the server ends on its own (Temporal's identity for it). */
export const HISTORY_SERVICE_IDENTITY = 'history-service';
/** Temporal's termination reasons for a run whose history outgrew the limits. */
export const HISTORY_SIZE_EXCEEDS_LIMIT = 'Workflow history size exceeds limit.';
export const HISTORY_COUNT_EXCEEDS_LIMIT = 'Workflow history count exceeds limit.';
export const MUTABLE_STATE_SIZE_EXCEEDS_LIMIT = 'Workflow mutable state size exceeds limit.';

export interface HistoryGrowthLimits {
  readonly countWarn: number;
  readonly sizeWarn: number;
  readonly countError: number;
  readonly sizeError: number;
}

/** What a transition leaves: events (buffered ones included, they are written later) and encoded bytes. */
export interface HistoryGrowth {
  readonly count: number;
  readonly bytes: number;
  /** The limit it crossed, as the termination reason; undefined when within the error limits. */
  readonly exceeded?: string;
  /** A warn threshold this transition crossed (logged once per run, when it is crossed). */
  readonly warn?: 'count' | 'size';
}

/**
 * Measures the history a transition leaves and checks it against the limits (size first, then count, as Temporal
 * does). Encodes the transition's events once and keeps the bytes on the mutation, so the commit reuses them.
 */
export function historyGrowth(mut: Mutation, limits: HistoryGrowthLimits): HistoryGrowth {
  const ms = mut.ms;
  const encoded = mut.events.map(encodeEvent);
  mut.encodedEvents = encoded;
  let added = 0;
  for (const bytes of encoded) added += bytes.length;
  const before = { count: ms.nextEventId - 1 - mut.events.length, bytes: ms.historySizeBytes };
  const count = ms.nextEventId - 1 + ms.bufferedEvents.length;
  const bytes = ms.historySizeBytes + added;
  const exceeded =
    bytes > limits.sizeError
      ? HISTORY_SIZE_EXCEEDS_LIMIT
      : count > limits.countError
        ? HISTORY_COUNT_EXCEEDS_LIMIT
        : undefined;
  const warn =
    before.bytes <= limits.sizeWarn && bytes > limits.sizeWarn
      ? 'size'
      : before.count <= limits.countWarn && count > limits.countWarn
        ? 'count'
        : undefined;
  return { count, bytes, ...(exceeded ? { exceeded } : {}), ...(warn ? { warn } : {}) };
}

import { LRUCache } from 'lru-cache';
import type { MutableState } from './state/mutable-state.js';
import type { HistoryEvent } from './util/codec.js';

/** A run as last committed: mutable state, its CAS version and, when known, its whole history. */
export interface CachedRun {
  ms: MutableState;
  /** `ms` as committed, in its stored JSON form (working copies are parsed from it). */
  json: string;
  dbVersion: number;
  /** Committed events 1..nextEventId-1 in order, once read or written by this host. */
  events?: HistoryEvent[];
}

export function runKey(namespaceId: string, workflowId: string, runId: string): string {
  return `${namespaceId}\u0000${workflowId}\u0000${runId}`;
}

/** How much one shard's cache holds: at most `entries` runs, of at most `bytes` together. */
export interface RunCacheLimits {
  entries: number;
  bytes: number;
}

/**
 * A cached run's size: its committed JSON (mostly ASCII, so its length is about its bytes) and, when its history is
 * held too, that history's encoded size. Decoded events take more memory than their bytes; the bound is an estimate
 * that grows with what is really held.
 */
function runSize(run: CachedRun): number {
  return Math.max(1, run.json.length + (run.events ? run.ms.historySizeBytes : 0));
}

/**
 * The mutable-state cache of one shard (lru-cache): the least recently used runs leave first once it holds its
 * limit of runs or of bytes. Entries are only read and replaced under the workflow lock; a failed commit evicts the
 * entry so the next transition reloads from the store. A run's current-run id is cached beside it (four times as
 * many: they are small).
 */
export class RunCache {
  readonly #runs: LRUCache<string, CachedRun>;
  readonly #current: LRUCache<string, string>;

  constructor(limits: RunCacheLimits) {
    this.#runs = new LRUCache<string, CachedRun>({
      max: limits.entries,
      maxSize: limits.bytes,
      sizeCalculation: runSize,
    });
    this.#current = new LRUCache<string, string>({ max: limits.entries * 4 });
  }

  get(key: string): CachedRun | undefined {
    return this.#runs.get(key);
  }

  /**
   * Caches a run as committed, or counts again the size of one that grew. A run too large for the cache with its
   * history is kept without the history; one too large even so is not cached at all.
   */
  put(key: string, run: CachedRun): void {
    if (run.events && runSize(run) > this.#runs.maxEntrySize) run.events = undefined;
    this.#runs.set(key, run);
  }

  /** Counts again the size of a cached run whose history was loaded into it; a no-op when it is not the cached one. */
  resize(key: string, run: CachedRun): void {
    if (this.#runs.peek(key) === run) this.put(key, run);
  }

  evict(key: string): void {
    this.#runs.delete(key);
  }

  currentRunId(namespaceId: string, workflowId: string): string | undefined {
    return this.#current.get(`${namespaceId}\u0000${workflowId}`);
  }

  setCurrentRunId(namespaceId: string, workflowId: string, runId: string): void {
    this.#current.set(`${namespaceId}\u0000${workflowId}`, runId);
  }

  forgetCurrent(namespaceId: string, workflowId: string): void {
    this.#current.delete(`${namespaceId}\u0000${workflowId}`);
  }

  clear(): void {
    this.#runs.clear();
    this.#current.clear();
  }
}

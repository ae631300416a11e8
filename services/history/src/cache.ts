import { LRUCache } from 'lru-cache';
import type { CachedHistory } from './cached-history.js';
import { isRunning, type MutableState } from './state/mutable-state.js';

/** A run as last committed: mutable state, its CAS version and, when known, its whole history. */
export interface CachedRun {
  ms: MutableState;
  /** `ms` as committed, in its stored JSON form (working copies are parsed from it). */
  json: string;
  dbVersion: number;
  /** Committed events 1..nextEventId-1 in order, once read or written by this host. */
  history?: CachedHistory;
}

export function runKey(namespaceId: string, workflowId: string, runId: string): string {
  return `${namespaceId}\u0000${workflowId}\u0000${runId}`;
}

/** How much one shard's cache holds: at most `entries` runs, of at most `bytes` together (as `runSize` counts). */
export interface RunCacheLimits {
  entries: number;
  bytes: number;
}

/**
 * Memory per byte of what is measured, from a heap measurement of cached W1 runs (services/history/README.md, "Run
 * cache"): the committed JSON string plus the mutable state parsed from it take about twice the JSON's length; a
 * history held decoded about 16 times its encoded size (protobufjs message objects, Longs, Buffer views); a history
 * held as encodings its bytes plus a Buffer view (~100 bytes) per event.
 */
const STATE_BYTES_PER_JSON_BYTE = 2;
const DECODED_HISTORY_BYTES_PER_BYTE = 16;
const ENCODED_EVENT_OVERHEAD_BYTES = 128;

/** A cached run's estimated memory: its state, and its history as held (decoded or encoded). */
export function runSize(run: CachedRun): number {
  const state = run.json.length * STATE_BYTES_PER_JSON_BYTE;
  const history = run.history;
  if (!history) return Math.max(1, state);
  const bytes = run.ms.historySizeBytes;
  return Math.max(
    1,
    state +
      (history.isCompact
        ? bytes + history.length * ENCODED_EVENT_OVERHEAD_BYTES
        : bytes * DECODED_HISTORY_BYTES_PER_BYTE),
  );
}

/**
 * The mutable-state cache of one shard (lru-cache): the least recently used runs leave first once it holds its
 * limit of runs or of (estimated) bytes. Entries are only read and replaced under the workflow lock; a failed commit
 * evicts the entry so the next transition reloads from the store. A closed run's history is held compact (its
 * encodings only, see CachedHistory). A run's current-run id is cached beside it (four times as many: they are
 * small).
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
   * Caches a run as committed, or counts again the size of one that grew. A closed run's history is made compact
   * first. A run too large for the cache with its history is kept without the history; one too large even so is not
   * cached at all.
   */
  put(key: string, run: CachedRun): void {
    if (run.history && !isRunning(run.ms)) run.history.compact();
    if (run.history && runSize(run) > this.#runs.maxEntrySize) run.history = undefined;
    this.#runs.set(key, run);
  }

  /** Counts again the size of a cached run whose history was loaded into it; a no-op when it is not the cached one. */
  resize(key: string, run: CachedRun): void {
    if (this.#runs.peek(key) === run) this.put(key, run);
  }

  evict(key: string): void {
    this.#runs.delete(key);
  }

  /** The cached runs, most recently used first. */
  runs(): IterableIterator<CachedRun> {
    return this.#runs.values();
  }

  /** Runs held and their estimated bytes (runSize). */
  get usage(): { runs: number; bytes: number } {
    return { runs: this.#runs.size, bytes: this.#runs.calculatedSize };
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

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

/**
 * The mutable-state cache of one shard (LRU by use). Entries are only read and replaced under the workflow lock;
 * a failed commit evicts the entry so the next transition reloads from the store.
 */
export class RunCache {
  readonly #runs = new Map<string, CachedRun>();
  readonly #current = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  get(key: string): CachedRun | undefined {
    const run = this.#runs.get(key);
    if (run) {
      this.#runs.delete(key);
      this.#runs.set(key, run);
    }
    return run;
  }

  put(key: string, run: CachedRun): void {
    this.#runs.delete(key);
    this.#runs.set(key, run);
    while (this.#runs.size > this.capacity) {
      const oldest = this.#runs.keys().next().value as string;
      this.#runs.delete(oldest);
    }
  }

  evict(key: string): void {
    this.#runs.delete(key);
  }

  currentRunId(namespaceId: string, workflowId: string): string | undefined {
    return this.#current.get(`${namespaceId}\u0000${workflowId}`);
  }

  setCurrentRunId(namespaceId: string, workflowId: string, runId: string): void {
    const k = `${namespaceId}\u0000${workflowId}`;
    this.#current.delete(k);
    this.#current.set(k, runId);
    while (this.#current.size > this.capacity * 4) {
      this.#current.delete(this.#current.keys().next().value as string);
    }
  }

  forgetCurrent(namespaceId: string, workflowId: string): void {
    this.#current.delete(`${namespaceId}\u0000${workflowId}`);
  }

  clear(): void {
    this.#runs.clear();
    this.#current.clear();
  }
}

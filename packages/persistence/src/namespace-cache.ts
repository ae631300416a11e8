import type { Clock } from '@odin/hugo';
import { LRUCache } from 'lru-cache';
import type { NamespaceRecord, NamespaceStore } from './contract.js';

/** How long a namespace lookup is cached: a namespace change reaches every host within 5 minutes. */
export const NAMESPACE_CACHE_TTL_MS = 5 * 60 * 1000;

/**
 * Entries per index (by name, by id). Far more than a cluster's namespaces; the bound is for misses, which are
 * cached too and whose names come from callers.
 */
export const NAMESPACE_CACHE_MAX_ENTRIES = 10_000;

export interface NamespaceCacheOptions {
  /** How long an entry (a miss too) is served, on the injected clock; at least 2 ms. */
  ttlMs?: number;
  /** Entries kept per index; the least recently used go first. */
  maxEntries?: number;
}

/** lru-cache stores no null, so a cached miss is an entry holding null. */
interface Entry {
  record: NamespaceRecord | null;
}

/**
 * Read-through cache of namespaces by name and id, so the frontend and history resolve a namespace without a
 * database round trip per call. Entries (including misses) are served for less than `ttlMs` on the injected clock;
 * `invalidate` drops one after a local update so this host sees its own writes at once. Each index holds at most
 * `maxEntries`, least recently used first out.
 */
export class NamespaceCache {
  readonly #byName: LRUCache<string, Entry>;
  readonly #byId: LRUCache<string, Entry>;

  constructor(
    private readonly store: NamespaceStore,
    clock: Clock,
    options: NamespaceCacheOptions = {},
  ) {
    const ttlMs = options.ttlMs ?? NAMESPACE_CACHE_TTL_MS;
    const max = options.maxEntries ?? NAMESPACE_CACHE_MAX_ENTRIES;
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 2)
      throw new RangeError(`ttlMs must be an integer >= 2, got ${ttlMs}`);
    if (!Number.isSafeInteger(max) || max < 1)
      throw new RangeError(`maxEntries must be an integer >= 1, got ${max}`);
    const lru = {
      max,
      // lru-cache serves an entry while its age is at most `ttl`; this cache promises less than ttlMs.
      ttl: ttlMs - 1,
      // Time from the injected clock, read afresh each time: with a resolution above 0, lru-cache would reuse a
      // reading for that long, on a real timer. The +1 keeps a reading of 0, which lru-cache takes for "no start
      // time", from meaning "never expires" (ages are unchanged).
      perf: { now: () => clock.now() + 1 },
      ttlResolution: 0,
    };
    this.#byName = new LRUCache<string, Entry>(lru);
    this.#byId = new LRUCache<string, Entry>(lru);
  }

  async getByName(name: string): Promise<NamespaceRecord | null> {
    const hit = this.#byName.get(name);
    if (hit) return hit.record;
    const record = await this.store.getNamespaceByName(name);
    this.#remember(record, name, record?.id);
    return record;
  }

  async getById(id: string): Promise<NamespaceRecord | null> {
    const hit = this.#byId.get(id);
    if (hit) return hit.record;
    const record = await this.store.getNamespaceById(id);
    this.#remember(record, record?.name, id);
    return record;
  }

  /** Drops cached entries for a namespace (call after creating or updating it). */
  invalidate(record: { id?: string; name?: string }): void {
    if (record.name !== undefined) this.#byName.delete(record.name);
    if (record.id !== undefined) this.#byId.delete(record.id);
  }

  clear(): void {
    this.#byName.clear();
    this.#byId.clear();
  }

  /** Entries held per index (for tests and diagnostics). */
  get size(): { byName: number; byId: number } {
    return { byName: this.#byName.size, byId: this.#byId.size };
  }

  #remember(record: NamespaceRecord | null, name: string | undefined, id: string | undefined): void {
    const entry: Entry = { record };
    if (name !== undefined) this.#byName.set(name, entry);
    if (id !== undefined) this.#byId.set(id, entry);
  }
}

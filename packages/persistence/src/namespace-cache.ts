import type { Clock } from '@odin/hugo';
import type { NamespaceRecord, NamespaceStore } from './contract.js';

/** How long a namespace lookup is cached: a namespace change reaches every host within 5 minutes. */
export const NAMESPACE_CACHE_TTL_MS = 5 * 60 * 1000;

interface Entry {
  record: NamespaceRecord | null;
  loadedAt: number;
}

/**
 * Read-through cache of namespaces by name and id, so the frontend and history resolve a namespace without a
 * database round trip per call. Entries (including misses) live `ttlMs` on the injected clock; `invalidate` drops
 * one after a local update so this host sees its own writes at once.
 */
export class NamespaceCache {
  readonly #byName = new Map<string, Entry>();
  readonly #byId = new Map<string, Entry>();

  constructor(
    private readonly store: NamespaceStore,
    private readonly clock: Clock,
    private readonly ttlMs: number = NAMESPACE_CACHE_TTL_MS,
  ) {}

  async getByName(name: string): Promise<NamespaceRecord | null> {
    const hit = this.#fresh(this.#byName.get(name));
    if (hit) return hit.record;
    const record = await this.store.getNamespaceByName(name);
    this.#remember(record, name, record?.id);
    return record;
  }

  async getById(id: string): Promise<NamespaceRecord | null> {
    const hit = this.#fresh(this.#byId.get(id));
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

  #fresh(entry: Entry | undefined): Entry | undefined {
    if (entry === undefined) return undefined;
    return this.clock.now() - entry.loadedAt < this.ttlMs ? entry : undefined;
  }

  #remember(record: NamespaceRecord | null, name: string | undefined, id: string | undefined): void {
    const entry: Entry = { record, loadedAt: this.clock.now() };
    if (name !== undefined) this.#byName.set(name, entry);
    if (id !== undefined) this.#byId.set(id, entry);
  }
}

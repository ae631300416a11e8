import type { Clock } from '@odin/hugo';
import type { Result } from '@odin/hugo';
import { LRUCache } from 'lru-cache';
import type { SearchAttributeStore, SearchAttributeType } from '../contract.js';
import { PREDEFINED_SEARCH_ATTRIBUTES } from './definitions.js';
import {
  type SearchAttributePayload,
  type ValidatedSearchAttribute,
  validateSearchAttributes,
} from './payloads.js';

/** How long a namespace's registered attributes are served from memory. */
export const SEARCH_ATTRIBUTE_CACHE_TTL_MS = 60_000;
const MAX_NAMESPACES = 10_000;

export type SearchAttributeTypes = ReadonlyMap<string, SearchAttributeType>;

/**
 * Each namespace's registered (custom) search attributes, read through a cache on the injected clock, for the
 * frontend (starts, queries) and history (upserts, child starts, continue-as-new). A refusal is never decided on a
 * cached answer: an unknown name or a value that does not fit the cached type re-reads the store first, so an
 * attribute added through another host is usable at once; a removal or a type change reaches this host within the
 * TTL (or at once when this host made it: `invalidate`).
 */
export class SearchAttributeRegistry {
  readonly #cache: LRUCache<string, { types: SearchAttributeTypes }>;

  constructor(
    private readonly store: SearchAttributeStore,
    clock: Clock,
    options: { ttlMs?: number } = {},
  ) {
    this.#cache = new LRUCache({
      max: MAX_NAMESPACES,
      ttl: Math.max(1, (options.ttlMs ?? SEARCH_ATTRIBUTE_CACHE_TTL_MS) - 1),
      // The injected clock, read afresh (see NamespaceCache for the +1 and the resolution).
      perf: { now: () => clock.now() + 1 },
      ttlResolution: 0,
    });
  }

  /** The namespace's custom attributes; `fresh` skips the cache. */
  async custom(namespaceId: string, fresh = false): Promise<SearchAttributeTypes> {
    const hit = fresh ? undefined : this.#cache.get(namespaceId);
    if (hit) return hit.types;
    const types = new Map(
      (await this.store.listSearchAttributes(namespaceId)).map((d) => [d.name, d.type] as const),
    );
    this.#cache.set(namespaceId, { types });
    return types;
  }

  /**
   * A lookup of the types of the given names in the namespace (custom or predefined), re-read from the store when
   * one of them is not known from the cache.
   */
  async lookup(
    namespaceId: string,
    names: Iterable<string>,
  ): Promise<(name: string) => SearchAttributeType | undefined> {
    let custom = await this.custom(namespaceId);
    for (const name of names) {
      if (!custom.has(name) && !Object.hasOwn(PREDEFINED_SEARCH_ATTRIBUTES, name)) {
        custom = await this.custom(namespaceId, true);
        break;
      }
    }
    const known = custom;
    return (name) => known.get(name) ?? PREDEFINED_SEARCH_ATTRIBUTES[name];
  }

  /** validateSearchAttributes against the namespace's attributes; a refusal is confirmed on a fresh read. */
  async validate<P extends SearchAttributePayload>(
    namespaceId: string,
    fields: { [name: string]: P } | null | undefined,
  ): Promise<Result<Map<string, ValidatedSearchAttribute<P>>>> {
    if (!fields || Object.keys(fields).length === 0) return validateSearchAttributes(fields, () => undefined);
    const cached = await this.custom(namespaceId);
    const first = validateSearchAttributes(fields, (n) => cached.get(n) ?? PREDEFINED_SEARCH_ATTRIBUTES[n]);
    if (first.ok) return first;
    const fresh = await this.custom(namespaceId, true);
    return validateSearchAttributes(fields, (n) => fresh.get(n) ?? PREDEFINED_SEARCH_ATTRIBUTES[n]);
  }

  /** Forget a namespace after this host changed its attributes. */
  invalidate(namespaceId: string): void {
    this.#cache.delete(namespaceId);
  }
}

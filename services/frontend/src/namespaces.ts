import type { NamespaceRef } from '@odin/api';
import { ServiceError } from '@odin/api';
import type { Clock } from '@odin/hugo';
import {
  NamespaceCache,
  type NamespaceCacheOptions,
  type NamespaceRecord,
  type NamespaceStore,
} from '@odin/persistence';

/** Temporal's NamespaceState numbers. */
export const NamespaceState = { REGISTERED: 1, DEPRECATED: 2, DELETED: 3 } as const;

/**
 * Resolves namespace names on every call through a read-through cache (bounded, 5 minutes on the injected clock by
 * default: NamespaceCache), so a request costs no namespace query. A missing or deleted namespace is NOT_FOUND with
 * the NamespaceNotFoundFailure detail the SDKs decode.
 */
export class NamespaceResolver {
  readonly cache: NamespaceCache;

  constructor(store: NamespaceStore, clock: Clock, options: NamespaceCacheOptions = {}) {
    this.cache = new NamespaceCache(store, clock, options);
  }

  async resolve(name: string): Promise<NamespaceRef> {
    const record = await this.record(name);
    return { id: record.id, name: record.name };
  }

  /**
   * A namespace that may start new workflows: a deprecated one still serves everything else (signals, polls, reads),
   * as Temporal's, but refuses starts with FAILED_PRECONDITION.
   */
  async resolveForStart(name: string): Promise<NamespaceRef> {
    const record = await this.record(name);
    if (record.state !== NamespaceState.REGISTERED) {
      throw ServiceError.failedPrecondition(
        `Namespace ${record.name} has invalid state: Deprecated. Must be Registered.`,
      );
    }
    return { id: record.id, name: record.name };
  }

  async record(name: string): Promise<NamespaceRecord> {
    if (!name) throw ServiceError.invalidArgument('Namespace is not set on the request.');
    const record = await this.cache.getByName(name);
    if (!record || record.state === NamespaceState.DELETED) throw ServiceError.namespaceNotFound(name);
    return record;
  }

  async recordById(id: string): Promise<NamespaceRecord> {
    const record = await this.cache.getById(id);
    if (!record || record.state === NamespaceState.DELETED) throw ServiceError.namespaceNotFound(id);
    return record;
  }

  /** Forget a namespace after this host changed it, so its own next call sees the change. */
  invalidate(record: { id?: string; name?: string }): void {
    this.cache.invalidate(record);
  }
}

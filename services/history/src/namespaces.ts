import type { NamespaceRef } from '@odin/api';
import type { PersistenceStore } from '@odin/persistence';

/**
 * Namespace names by id, as this host has seen them: every call names its namespace, and outbox tasks, logs and
 * metric labels only carry the id. An id never seen is looked up in the store once.
 */
export class NamespaceNames {
  readonly #names = new Map<string, string>();

  constructor(private readonly namespaces: PersistenceStore['namespaces']) {}

  remember(ns: NamespaceRef): void {
    if (!this.#names.has(ns.id)) this.#names.set(ns.id, ns.name);
  }

  /** The name if this host has seen it, else the id. */
  name(namespaceId: string): string {
    return this.#names.get(namespaceId) ?? namespaceId;
  }

  async ref(namespaceId: string): Promise<NamespaceRef> {
    let name = this.#names.get(namespaceId);
    if (!name) {
      const record = await this.namespaces.getNamespaceById(namespaceId);
      name = record?.name ?? namespaceId;
      this.#names.set(namespaceId, name);
    }
    return { id: namespaceId, name };
  }
}

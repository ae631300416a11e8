import { randomBytes } from 'node:crypto';
import type { Clock } from '@odin/hugo';
import type { SqlDataKeyStore, WrappedDataKey } from '../stores/data-keys.js';
import { DATA_KEY_BYTES, type DataKey } from './envelope.js';
import { EncryptionKeyUnavailableError, UndecryptableDataError } from './errors.js';
import type { KeyProvider } from './key-provider.js';

/** How often a process looks for a newer data-key version of a namespace it writes (after `rotate-key`). */
export const DATA_KEY_REFRESH_INTERVAL_MS = 60_000;

/** The context a data key is wrapped under: it cannot be unwrapped as another namespace's or another version. */
function wrapContext(namespaceId: string, version: number): string {
  return `odin/namespace-data-key/${namespaceId}/${version}`;
}

export interface DataKeyRingOptions {
  /** Undefined: encryption is off (nothing is sealed; reading a sealed blob fails with FAILED_PRECONDITION). */
  readonly provider: KeyProvider | undefined;
  readonly clock: Clock;
  readonly refreshIntervalMs?: number;
}

/**
 * The data keys of every namespace, unwrapped on first use and kept in memory. Writes use the namespace's newest
 * version (created on first use, re-checked every refresh interval so a rotation by another process is picked up);
 * reads use the version a blob names.
 */
export class DataKeyRing {
  readonly #store: SqlDataKeyStore;
  readonly #provider: KeyProvider | undefined;
  readonly #clock: Clock;
  readonly #refreshMs: number;
  readonly #byVersion = new Map<string, DataKey>();
  readonly #current = new Map<string, { key: DataKey; checkedAt: number }>();
  readonly #loading = new Map<string, Promise<DataKey>>();

  constructor(store: SqlDataKeyStore, options: DataKeyRingOptions) {
    this.#store = store;
    this.#provider = options.provider;
    this.#clock = options.clock;
    this.#refreshMs = options.refreshIntervalMs ?? DATA_KEY_REFRESH_INTERVAL_MS;
  }

  /** Whether new blobs are sealed. */
  get enabled(): boolean {
    return this.#provider !== undefined;
  }

  /** The key new blobs of the namespace are sealed with; creates version 1 on the namespace's first write. */
  current(namespaceId: string): Promise<DataKey> {
    const cached = this.#current.get(namespaceId);
    if (cached && this.#clock.now() - cached.checkedAt < this.#refreshMs) return Promise.resolve(cached.key);
    return this.#once(`current\u0000${namespaceId}`, async () => {
      const stored = (await this.#store.latest(namespaceId)) ?? (await this.#create(namespaceId, 1));
      const key = await this.#unwrap(stored);
      this.#current.set(namespaceId, { key, checkedAt: this.#clock.now() });
      return key;
    });
  }

  /** The key of one version (the one a sealed blob names). */
  version(namespaceId: string, version: number): Promise<DataKey> {
    const id = `${namespaceId}\u0000${version}`;
    const known = this.#byVersion.get(id);
    if (known) return Promise.resolve(known);
    return this.#once(`version\u0000${id}`, async () => {
      const stored = await this.#store.get(namespaceId, version);
      if (!stored) {
        throw new EncryptionKeyUnavailableError(
          `data key version ${version} of namespace ${namespaceId} is not in the database`,
        );
      }
      return this.#unwrap(stored);
    });
  }

  /** Adds the next version of the namespace's data key; new blobs are sealed with it from now on. */
  async rotate(namespaceId: string): Promise<DataKey> {
    for (;;) {
      const latest = await this.#store.latest(namespaceId);
      const created = await this.#create(namespaceId, (latest?.version ?? 0) + 1, true);
      if (created) {
        const key = await this.#unwrap(created);
        this.#current.set(namespaceId, { key, checkedAt: this.#clock.now() });
        return key;
      }
    }
  }

  /**
   * Re-wraps every stored data key that is not wrapped by the provider's current KEK, so an old KEK can be removed.
   * Returns how many were re-wrapped and how many there are.
   */
  async rewrapAll(): Promise<{ rewrapped: number; total: number }> {
    const provider = this.#requireProvider();
    const all = await this.#store.list();
    let rewrapped = 0;
    for (const stored of all) {
      if (provider.isCurrent(stored.kekId)) continue;
      const key = await this.#unwrap(stored);
      const wrapped = await provider.wrap(key.key, wrapContext(stored.namespaceId, stored.version));
      if (await this.#store.rewrap(stored, stored.kekId, wrapped)) rewrapped++;
    }
    return { rewrapped, total: all.length };
  }

  /** Version `version` of a new data key; the one stored when another process made it first (unless `exclusive`). */
  async #create(namespaceId: string, version: number): Promise<WrappedDataKey>;
  async #create(namespaceId: string, version: number, exclusive: true): Promise<WrappedDataKey | null>;
  async #create(namespaceId: string, version: number, exclusive = false): Promise<WrappedDataKey | null> {
    const provider = this.#requireProvider();
    const { kekId, wrapped } = await provider.wrap(
      randomBytes(DATA_KEY_BYTES),
      wrapContext(namespaceId, version),
    );
    const key: WrappedDataKey = { namespaceId, version, kekId, wrapped, createdAt: this.#clock.now() };
    if (await this.#store.insert(key)) return key;
    if (exclusive) return null;
    const stored = await this.#store.get(namespaceId, version);
    if (!stored) throw new Error(`data key ${namespaceId}/${version} neither inserted nor found`);
    return stored;
  }

  async #unwrap(stored: WrappedDataKey): Promise<DataKey> {
    const id = `${stored.namespaceId}\u0000${stored.version}`;
    const known = this.#byVersion.get(id);
    if (known) return known;
    const provider = this.#provider;
    const what = `data key version ${stored.version} of namespace ${stored.namespaceId}`;
    if (!provider) {
      throw new EncryptionKeyUnavailableError(
        `the namespace's data is encrypted (${what}) and this process has no key-encryption key: set ` +
          'HUGO_ORCHESTRATOR_ENCRYPTION_KEY_FILE or HUGO_ORCHESTRATOR_ENCRYPTION_KEY',
      );
    }
    const result = await provider.unwrap(
      stored.kekId,
      stored.wrapped,
      wrapContext(stored.namespaceId, stored.version),
    );
    if (!result.ok && result.reason === 'unknown-kek') {
      throw new EncryptionKeyUnavailableError(
        `${what} is wrapped by key-encryption key ${stored.kekId}, which ${provider.description} does not hold`,
      );
    }
    if (!result.ok) {
      throw new UndecryptableDataError(
        `${what} failed authentication under key-encryption key ${stored.kekId}: the stored key was altered`,
      );
    }
    const key: DataKey = { namespaceId: stored.namespaceId, version: stored.version, key: result.dataKey };
    this.#byVersion.set(id, key);
    return key;
  }

  #requireProvider(): KeyProvider {
    if (!this.#provider) {
      throw new EncryptionKeyUnavailableError(
        'encryption at rest is not configured: set HUGO_ORCHESTRATOR_ENCRYPTION_KEY_FILE or HUGO_ORCHESTRATOR_ENCRYPTION_KEY',
      );
    }
    return this.#provider;
  }

  /** One load per id at a time: concurrent callers share it. */
  #once(id: string, load: () => Promise<DataKey>): Promise<DataKey> {
    const inFlight = this.#loading.get(id);
    if (inFlight) return inFlight;
    const promise = load().finally(() => this.#loading.delete(id));
    this.#loading.set(id, promise);
    return promise;
  }
}

/**
 * One persisted deterministic record. Hugo's `DeterministicRecord(kind, version, payload, recordedAt)`, with the
 * payload as JSON text instead of UTF-8 bytes.
 */
export interface DeterministicRecord {
  /** What wrote it: "hugo.effect" or "hugo.version". */
  readonly kind: string;
  /** The record schema version (Hugo writes the gate version for markers and 0 for effects). */
  readonly version: number;
  /** JSON text of the envelope. */
  readonly payload: string;
  /** Epoch milliseconds, from the writer's clock. */
  readonly recordedAt: number;
}

/**
 * Where deterministic records live. Deliberately async (Hugo's `IDeterministicStateStore` is synchronous) so a SQL
 * store can implement it; `tryAdd` must be atomic (`INSERT … ON CONFLICT DO NOTHING`).
 */
export interface DeterministicStateStore {
  get(key: string, signal?: AbortSignal): Promise<DeterministicRecord | undefined>;
  /** Insert or replace. */
  set(key: string, record: DeterministicRecord, signal?: AbortSignal): Promise<void>;
  /** Insert only when the key is absent; false when another writer got there first. */
  tryAdd(key: string, record: DeterministicRecord, signal?: AbortSignal): Promise<boolean>;
}

/** A process-local store for tests and the embedded dev server. */
export class InMemoryDeterministicStateStore implements DeterministicStateStore {
  private readonly records = new Map<string, DeterministicRecord>();

  get size(): number {
    return this.records.size;
  }

  keys(): string[] {
    return [...this.records.keys()];
  }

  async get(key: string): Promise<DeterministicRecord | undefined> {
    return this.records.get(key);
  }

  async set(key: string, record: DeterministicRecord): Promise<void> {
    this.records.set(key, Object.freeze({ ...record }));
  }

  async tryAdd(key: string, record: DeterministicRecord): Promise<boolean> {
    if (this.records.has(key)) return false;
    this.records.set(key, Object.freeze({ ...record }));
    return true;
  }

  clear(): void {
    this.records.clear();
  }
}

/**
 * Frozen metadata with case-insensitive keys, as Hugo's `FrozenDictionary(OrdinalIgnoreCase)`.
 * Keys keep the spelling they were first written with; a later write with other casing replaces the value.
 */
export type MetadataInput = Readonly<Record<string, unknown>> | Iterable<readonly [string, unknown]>;

function entriesOf(input: MetadataInput): Iterable<readonly [string, unknown]> {
  if (Symbol.iterator in input) return input as Iterable<readonly [string, unknown]>;
  return Object.entries(input as Record<string, unknown>);
}

export class ErrorMetadata implements Iterable<readonly [string, unknown]> {
  static readonly empty = new ErrorMetadata(new Map());

  private readonly byFoldedKey: ReadonlyMap<string, readonly [string, unknown]>;

  private constructor(byFoldedKey: Map<string, readonly [string, unknown]>) {
    this.byFoldedKey = byFoldedKey;
    Object.freeze(this);
  }

  static from(input?: MetadataInput): ErrorMetadata {
    if (input === undefined) return ErrorMetadata.empty;
    if (input instanceof ErrorMetadata) return input;
    return ErrorMetadata.empty.merge(input);
  }

  get size(): number {
    return this.byFoldedKey.size;
  }

  has(key: string): boolean {
    return this.byFoldedKey.has(key.toLowerCase());
  }

  get(key: string): unknown {
    return this.byFoldedKey.get(key.toLowerCase())?.[1];
  }

  keys(): string[] {
    return [...this.byFoldedKey.values()].map(([k]) => k);
  }

  /** Returns a new metadata set with `entries` written over this one. */
  merge(entries: MetadataInput): ErrorMetadata {
    const next = new Map(this.byFoldedKey);
    for (const [key, value] of entriesOf(entries)) {
      const folded = key.toLowerCase();
      const existing = next.get(folded);
      next.set(folded, [existing ? existing[0] : key, value]);
    }
    return next.size === 0 ? ErrorMetadata.empty : new ErrorMetadata(next);
  }

  /** Adds only the keys that are absent. */
  withDefaults(entries: MetadataInput): ErrorMetadata {
    const missing: [string, unknown][] = [];
    for (const [key, value] of entriesOf(entries)) if (!this.has(key)) missing.push([key, value]);
    return missing.length === 0 ? this : this.merge(missing);
  }

  [Symbol.iterator](): Iterator<readonly [string, unknown]> {
    return this.byFoldedKey.values();
  }

  /** A plain object copy (original key spelling). */
  toObject(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of this) out[k] = v;
    return out;
  }
}

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { KeyProviderConfigError } from './errors.js';

/**
 * Where key-encryption keys (KEKs) live. A data key is stored only wrapped by a KEK; the provider wraps and unwraps
 * it and never hands its own keys out, so a provider backed by a KMS or an HSM fits the same shape.
 */
export interface KeyProvider {
  /** For messages and logs, e.g. "key file /etc/odin/kek" (never key material). */
  readonly description: string;
  /** Wraps a new data key under the current KEK; `context` is bound to the result (the same must unwrap it). */
  wrap(dataKey: Uint8Array, context: string): Promise<{ kekId: string; wrapped: Uint8Array }>;
  /**
   * Unwraps a data key wrapped by `kekId`: `unknown-kek` when the provider does not hold that KEK, `failed` when it
   * does but the wrapped bytes do not authenticate (altered, or another context).
   */
  unwrap(
    kekId: string,
    wrapped: Uint8Array,
    context: string,
  ): Promise<{ ok: true; dataKey: Uint8Array } | { ok: false; reason: 'unknown-kek' | 'failed' }>;
  /** Whether `kekId` is the KEK new wraps use (rotation re-wraps every data key that is not). */
  isCurrent(kekId: string): boolean;
}

const KEK_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A KEK's id: a fingerprint of the key (SHA-256, truncated), safe to store and log. */
function kekIdOf(key: Uint8Array): string {
  return `local:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/**
 * KEKs held in this process (from a file or an environment variable): the first one wraps, every one unwraps, so a
 * KEK is rotated by putting the new key first and keeping the old one after it until `namespace rotate-key` has
 * re-wrapped every data key. Wrapping is AES-256-GCM with the context as additional data.
 */
export class LocalKeyProvider implements KeyProvider {
  readonly #keys: ReadonlyMap<string, Uint8Array>;
  readonly #currentId: string;

  constructor(
    keys: readonly Uint8Array[],
    readonly description: string,
  ) {
    if (keys.length === 0) throw new KeyProviderConfigError(`${description} holds no key`);
    const map = new Map<string, Uint8Array>();
    for (const key of keys) {
      if (key.byteLength !== KEK_BYTES) {
        throw new KeyProviderConfigError(`${description}: every key must be ${KEK_BYTES} bytes`);
      }
      map.set(kekIdOf(key), key);
    }
    this.#keys = map;
    this.#currentId = kekIdOf(keys[0]!);
  }

  isCurrent(kekId: string): boolean {
    return kekId === this.#currentId;
  }

  async wrap(dataKey: Uint8Array, context: string): Promise<{ kekId: string; wrapped: Uint8Array }> {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(this.#currentId)!, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
    return { kekId: this.#currentId, wrapped: Buffer.concat([iv, body, cipher.getAuthTag()]) };
  }

  async unwrap(
    kekId: string,
    wrapped: Uint8Array,
    context: string,
  ): Promise<{ ok: true; dataKey: Uint8Array } | { ok: false; reason: 'unknown-kek' | 'failed' }> {
    const kek = this.#keys.get(kekId);
    if (!kek) return { ok: false, reason: 'unknown-kek' };
    if (wrapped.byteLength < IV_BYTES + TAG_BYTES) return { ok: false, reason: 'failed' };
    try {
      const decipher = createDecipheriv('aes-256-gcm', kek, wrapped.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(wrapped.subarray(wrapped.byteLength - TAG_BYTES));
      const key = Buffer.concat([
        decipher.update(wrapped.subarray(IV_BYTES, wrapped.byteLength - TAG_BYTES)),
        decipher.final(),
      ]);
      return { ok: true, dataKey: key };
    } catch {
      return { ok: false, reason: 'failed' };
    }
  }
}

/**
 * The KEKs of a key file or variable: base64 (or base64url) of 32 bytes each, separated by newlines, commas or
 * spaces; `#` starts a comment line. The first is the current one.
 */
export function parseKeyEncryptionKeys(text: string, source: string): Uint8Array[] {
  const keys: Uint8Array[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim().startsWith('#')) continue;
    for (const word of line.split(/[\s,]+/).filter((w) => w !== '')) {
      const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(word) ? Buffer.from(word, 'base64') : Buffer.alloc(0);
      if (bytes.byteLength !== KEK_BYTES) {
        throw new KeyProviderConfigError(
          `${source}: key ${keys.length + 1} is not base64 of ${KEK_BYTES} bytes (make one with: openssl rand -base64 32)`,
        );
      }
      keys.push(bytes);
    }
  }
  if (keys.length === 0) {
    throw new KeyProviderConfigError(`${source} holds no key (make one with: openssl rand -base64 32)`);
  }
  return keys;
}

export interface KeySource {
  /** Path of a key file (HUGO_ORCHESTRATOR_ENCRYPTION_KEY_FILE). */
  readonly keyFile?: string | undefined;
  /** The keys themselves (HUGO_ORCHESTRATOR_ENCRYPTION_KEY). */
  readonly keys?: string | undefined;
}

/** The provider the configuration names, or undefined when none is configured (encryption off). */
export async function loadKeyProvider(source: KeySource): Promise<KeyProvider | undefined> {
  if (source.keyFile !== undefined && source.keys !== undefined) {
    throw new KeyProviderConfigError('set either a key file or inline keys for encryption at rest, not both');
  }
  if (source.keys !== undefined) {
    return new LocalKeyProvider(
      parseKeyEncryptionKeys(source.keys, 'HUGO_ORCHESTRATOR_ENCRYPTION_KEY'),
      'the key of HUGO_ORCHESTRATOR_ENCRYPTION_KEY',
    );
  }
  if (source.keyFile !== undefined) {
    let text: string;
    try {
      text = await readFile(source.keyFile, 'utf8');
    } catch (error) {
      throw new KeyProviderConfigError(
        `cannot read the encryption key file ${source.keyFile}: ${(error as Error).message}`,
      );
    }
    return new LocalKeyProvider(
      parseKeyEncryptionKeys(text, `key file ${source.keyFile}`),
      `key file ${source.keyFile}`,
    );
  }
  return undefined;
}

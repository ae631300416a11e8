import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { temporal } from '@odin/api/public';
import type { IPayload } from '../common/proto-types.js';
import type { PayloadCodec } from './payload-codec.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const ENCRYPTION_KEY_ID = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const Payload = temporal.api.common.v1.Payload;

export class PayloadEncryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadEncryptionError';
  }
}

export interface AesGcmCodecOptions {
  /** 32-byte AES-256 keys by key id; keep retired keys here so older payloads still decrypt. */
  keys: Readonly<Record<string, Uint8Array>> | ReadonlyMap<string, Uint8Array>;
  /** The key id new payloads are encrypted with. */
  currentKeyId: string;
}

/**
 * AES-256-GCM payload encryption with key ids, for key rotation: each payload is serialised whole (metadata
 * included) and encrypted with the current key; the result is a payload with metadata `encoding: binary/encrypted`
 * and `encryption-key-id: <id>`, and data `iv (12 bytes) ‖ ciphertext ‖ auth tag (16 bytes)` — the layout of
 * Temporal's encryption sample, so either SDK can use it. Decoding picks the key by the payload's key id, so
 * payloads written under an older key still read; payloads that are not encrypted pass through.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly keys: ReadonlyMap<string, Uint8Array>;
  readonly currentKeyId: string;

  constructor(options: AesGcmCodecOptions) {
    this.keys =
      options.keys instanceof Map
        ? (options.keys as ReadonlyMap<string, Uint8Array>)
        : new Map(Object.entries(options.keys as Record<string, Uint8Array>));
    for (const [id, key] of this.keys) {
      if (key.byteLength !== 32)
        throw new RangeError(`Key "${id}" has ${key.byteLength} bytes; AES-256 needs 32`);
    }
    if (!this.keys.has(options.currentKeyId)) {
      throw new RangeError(`The current key id "${options.currentKeyId}" is not among the keys`);
    }
    this.currentKeyId = options.currentKeyId;
  }

  async encode(payloads: IPayload[]): Promise<IPayload[]> {
    const key = this.keys.get(this.currentKeyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const plain = Payload.encode(Payload.fromObject(payload)).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          encoding: encoder.encode(ENCRYPTED_ENCODING),
          [ENCRYPTION_KEY_ID]: encoder.encode(this.currentKeyId),
        },
        data: new Uint8Array(data),
      };
    });
  }

  async decode(payloads: IPayload[]): Promise<IPayload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.['encoding'];
      if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
      const rawKeyId = payload.metadata?.[ENCRYPTION_KEY_ID];
      const keyId = rawKeyId ? decoder.decode(rawKeyId) : '';
      const key = this.keys.get(keyId);
      if (!key) throw new PayloadEncryptionError(`No key with id "${keyId}" to decrypt a payload`);
      const data = payload.data ?? new Uint8Array(0);
      if (data.byteLength < IV_BYTES + TAG_BYTES)
        throw new PayloadEncryptionError('Encrypted payload too short');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.byteLength - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([
          decipher.update(data.subarray(IV_BYTES, data.byteLength - TAG_BYTES)),
          decipher.final(),
        ]);
      } catch {
        throw new PayloadEncryptionError(`A payload encrypted with key "${keyId}" failed authentication`);
      }
      const decoded = Payload.decode(plain);
      return { metadata: { ...decoded.metadata }, data: decoded.data };
    });
  }
}

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { UndecryptableDataError } from './errors.js';

// The sealed form of a blob (AES-256-GCM, node:crypto):
//
//   0x00 'O' 'E' 0x01 | key version (uint32 BE) | IV (12 bytes) | ciphertext | tag (16 bytes)
//
// The first byte tells sealed blobs from plaintext ones written before encryption was configured: every plaintext
// blob the engine writes is a protobuf message (whose first byte is a tag, never 0: field number 0 does not exist)
// or JSON text, or empty. The additional authenticated data is the magic and key version plus the namespace id, so
// a blob cannot be moved to another namespace, nor its version changed, without failing authentication.

const MAGIC = Uint8Array.of(0x00, 0x4f, 0x45, 0x01);
const VERSION_OFFSET = MAGIC.length;
const IV_OFFSET = VERSION_OFFSET + 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = IV_OFFSET + IV_BYTES;
/** What sealing adds to a blob's size. */
export const SEALED_OVERHEAD_BYTES = HEADER_BYTES + TAG_BYTES;
export const DATA_KEY_BYTES = 32;

/** One version of a namespace's data key, unwrapped. */
export interface DataKey {
  readonly namespaceId: string;
  readonly version: number;
  readonly key: Uint8Array;
}

/** Whether the blob is in the sealed form (else it is plaintext from before encryption, or encryption is off). */
export function isSealed(blob: Uint8Array): boolean {
  if (blob.byteLength < SEALED_OVERHEAD_BYTES) return false;
  for (let i = 0; i < MAGIC.length; i++) if (blob[i] !== MAGIC[i]) return false;
  return true;
}

/** The data-key version that sealed the blob; undefined for a plaintext one. */
export function sealedKeyVersion(blob: Uint8Array): number | undefined {
  if (!isSealed(blob)) return undefined;
  return new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(VERSION_OFFSET);
}

function aad(header: Uint8Array, namespaceId: string): Buffer {
  return Buffer.concat([header.subarray(0, IV_OFFSET), Buffer.from(namespaceId, 'utf8')]);
}

/** Seals `plaintext` under the data key (a fresh random IV each time). */
export function seal(plaintext: Uint8Array, dataKey: DataKey): Uint8Array {
  const header = new Uint8Array(HEADER_BYTES);
  header.set(MAGIC, 0);
  new DataView(header.buffer).setUint32(VERSION_OFFSET, dataKey.version);
  header.set(randomBytes(IV_BYTES), IV_OFFSET);
  const cipher = createCipheriv('aes-256-gcm', dataKey.key, header.subarray(IV_OFFSET, HEADER_BYTES));
  cipher.setAAD(aad(header, dataKey.namespaceId));
  const body = cipher.update(plaintext);
  const final = cipher.final();
  const out = new Uint8Array(HEADER_BYTES + body.byteLength + final.byteLength + TAG_BYTES);
  out.set(header, 0);
  out.set(body, HEADER_BYTES);
  out.set(final, HEADER_BYTES + body.byteLength);
  out.set(cipher.getAuthTag(), out.byteLength - TAG_BYTES);
  return out;
}

/**
 * The plaintext of a sealed blob, checked against its tag. The caller picks the data key by sealedKeyVersion();
 * UndecryptableDataError when the blob was altered or sealed by another key or for another namespace.
 */
export function open(sealed: Uint8Array, dataKey: DataKey, what: string): Uint8Array {
  if (sealedKeyVersion(sealed) !== dataKey.version) {
    throw new UndecryptableDataError(`${what}: not sealed by data key version ${dataKey.version}`);
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey.key, sealed.subarray(IV_OFFSET, HEADER_BYTES));
    decipher.setAAD(aad(sealed, dataKey.namespaceId));
    decipher.setAuthTag(sealed.subarray(sealed.byteLength - TAG_BYTES));
    const body = decipher.update(sealed.subarray(HEADER_BYTES, sealed.byteLength - TAG_BYTES));
    const final = decipher.final();
    const out = new Uint8Array(body.byteLength + final.byteLength);
    out.set(body, 0);
    out.set(final, body.byteLength);
    return out;
  } catch {
    throw new UndecryptableDataError(
      `${what} of namespace ${dataKey.namespaceId} failed authentication under data key version ` +
        `${dataKey.version}: the stored bytes were altered or sealed by another key; they were left unchanged`,
    );
  }
}

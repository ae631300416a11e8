import { InvalidPageTokenError } from './contract.js';

/** Drivers return Buffers (a Uint8Array subclass); hand out plain Uint8Array views so callers compare by value. */
export function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === 'string') return new TextEncoder().encode(value);
  throw new TypeError(`expected a blob, got ${typeof value}`);
}

export function toBytesOrNull(value: unknown): Uint8Array | null {
  return value == null ? null : toBytes(value);
}

/** Drivers want Buffers; this wraps without copying. */
export function toBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

/** BIGINT / COUNT / SUM come back as number, bigint or string depending on the driver. */
export function toNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'string') return Number(value);
  throw new TypeError(`expected a number, got ${value === null ? 'null' : typeof value}`);
}

export function toNumberOrNull(value: unknown): number | null {
  return value == null ? null : toNumber(value);
}

/** Opaque page tokens: base64url of a small JSON object. Tampered tokens are a caller error. */
export function encodeToken(payload: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

export function decodeToken<T>(token: string, guard: (v: unknown) => v is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidPageTokenError();
  }
  if (!guard(value)) throw new InvalidPageTokenError();
  return value;
}

import { ServiceError } from '@odin/api';

/** gRPC's DATA_LOSS (15): Temporal answers it for stored data it cannot read back. */
const DATA_LOSS: ServiceError['code'] = 15;
/** gRPC's FAILED_PRECONDITION (9). */
const FAILED_PRECONDITION: ServiceError['code'] = 9;

// Both are ServiceErrors so that every layer above the store (history's and the frontend's error translation, the
// internal gRPC transport) answers them with their own status instead of INTERNAL or a "retry" UNAVAILABLE: retrying
// cannot help until an operator fixes the keys.

/**
 * A blob, or a data key, needs a key this process does not have: encryption is off, the key-encryption key that
 * wrapped the data key is not configured, or the data key version is missing. Nothing was read or changed.
 */
export class EncryptionKeyUnavailableError extends ServiceError {
  constructor(message: string) {
    super(FAILED_PRECONDITION, `${message} (see "Encryption at rest" in docs/security.md)`);
    this.name = 'EncryptionKeyUnavailableError';
  }
}

/**
 * A sealed blob (or a wrapped data key) failed authentication under the key its header names: it was altered, or
 * the key of that id is not the one that sealed it. The stored bytes are left as they are.
 */
export class UndecryptableDataError extends ServiceError {
  constructor(message: string) {
    super(DATA_LOSS, message);
    this.name = 'UndecryptableDataError';
  }
}

/** The key-encryption key material configured cannot be used (not base64 of 32 bytes, unreadable file). */
export class KeyProviderConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyProviderConfigError';
  }
}

import type { DataKeyRing } from './data-key-ring.js';
import { isSealed, open, sealedKeyVersion, seal } from './envelope.js';

/** Seals blobs of one namespace (the identity when encryption is off). */
export type Sealer = (blob: Uint8Array) => Uint8Array;

const identity: Sealer = (blob) => blob;

/**
 * Turns blobs into their stored form and back, per namespace. Reading never depends on whether encryption is on:
 * a plaintext blob (written before it was) reads as it is, a sealed one needs its key.
 */
export class BlobCodec {
  constructor(readonly ring: DataKeyRing) {}

  /** Whether new blobs are sealed (a key provider is configured). */
  get enabled(): boolean {
    return this.ring.enabled;
  }

  /** The sealer of the namespace's current data key. */
  async sealerFor(namespaceId: string): Promise<Sealer> {
    if (!this.ring.enabled) return identity;
    const key = await this.ring.current(namespaceId);
    return (blob) => seal(blob, key);
  }

  /** A blob as the engine wrote it; `what` names it in errors ("history event 7 of …"). */
  async open(namespaceId: string, blob: Uint8Array, what: string): Promise<Uint8Array> {
    const version = sealedKeyVersion(blob);
    if (version === undefined) return blob;
    return open(blob, await this.ring.version(namespaceId, version), what);
  }

  async openOrNull(
    namespaceId: string,
    blob: Uint8Array | null | undefined,
    what: string,
  ): Promise<Uint8Array | null | undefined> {
    return blob == null || !isSealed(blob) ? blob : this.open(namespaceId, blob, what);
  }
}

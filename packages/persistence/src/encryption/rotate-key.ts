import { SystemClock } from '@odin/hugo';
import { NamespaceNotFoundError } from '../contract.js';
import { openStoreContext, type OpenStoreConfig } from '../open-store.js';
import { SqlDataKeyStore } from '../stores/data-keys.js';
import { SqlNamespaceStore } from '../stores/namespaces.js';
import { BlobCodec } from './blob-codec.js';
import { DataKeyRing } from './data-key-ring.js';
import { EncryptionKeyUnavailableError } from './errors.js';
import type { KeyProvider } from './key-provider.js';
import { type ReencryptReport, reencryptNamespace } from './reencrypt.js';

export interface RotateKeyOptions {
  /** Also rewrite the namespace's existing rows under the new version (else they keep theirs and stay readable). */
  readonly reencrypt?: boolean;
  /** Rows read per page while re-encrypting; default 500. */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
}

export interface RotateKeyReport {
  readonly namespace: string;
  readonly namespaceId: string;
  /** The data-key version new rows are sealed with from now on. */
  readonly version: number;
  /** Stored data keys (of every namespace) re-wrapped under the current key-encryption key. */
  readonly rewrappedKeys: number;
  readonly reencrypted?: ReencryptReport;
}

/**
 * `namespace rotate-key`: re-wraps every stored data key whose key-encryption key is not the current one, adds the
 * next data-key version of the namespace and, when asked, re-encrypts its rows under it. Running servers seal with
 * the new version once they look again (DATA_KEY_REFRESH_INTERVAL_MS); rows they write before that stay readable.
 */
export async function rotateNamespaceKey(
  config: OpenStoreConfig & { encryption: { provider: KeyProvider | undefined } },
  namespaceName: string,
  options: RotateKeyOptions = {},
): Promise<RotateKeyReport> {
  if (!config.encryption.provider) {
    throw new EncryptionKeyUnavailableError(
      'rotate-key needs the key-encryption key: set HUGO_ORCHESTRATOR_ENCRYPTION_KEY_FILE or HUGO_ORCHESTRATOR_ENCRYPTION_KEY',
    );
  }
  const ctx = await openStoreContext(config);
  try {
    const namespace = await new SqlNamespaceStore(ctx).getNamespaceByName(namespaceName);
    if (!namespace) throw new NamespaceNotFoundError(namespaceName);
    const ring = new DataKeyRing(new SqlDataKeyStore(ctx), {
      provider: config.encryption.provider,
      clock: config.clock ?? new SystemClock(),
    });
    const { rewrapped } = await ring.rewrapAll();
    const current = await ring.rotate(namespace.id);
    const report: RotateKeyReport = {
      namespace: namespace.name,
      namespaceId: namespace.id,
      version: current.version,
      rewrappedKeys: rewrapped,
    };
    if (!options.reencrypt) return report;
    const reencrypted = await reencryptNamespace(ctx, new BlobCodec(ring), current, {
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    return { ...report, reencrypted };
  } finally {
    await ctx.db.destroy();
  }
}

import { parseDuration } from '@odin/hugo';
import { z } from 'zod';

// Encryption at rest (docs/security.md, "Encryption at rest"): off unless a key-encryption key is configured, by a
// key file or by the variable itself. The keys are parsed and checked when the store opens (persistence's
// loadKeyProvider), so that no configuration error message can ever echo key material.

const refreshInterval = z
  .union([z.number(), z.string()])
  .transform((value, ctx) => {
    if (typeof value === 'number') return value;
    const parsed = parseDuration(value);
    if (parsed.ok) return parsed.value;
    ctx.addIssue({ code: 'custom', message: 'must be a duration such as 30s or 5m' });
    return z.NEVER;
  })
  .pipe(z.number().int('must be whole milliseconds').min(1_000, 'must be at least 1s'));

export const encryptionShape = {
  /** ENCRYPTION_KEY_FILE: file of key-encryption keys (base64 of 32 bytes each, the current one first). */
  encryptionKeyFile: z.string().min(1, 'must not be empty').optional(),
  /** ENCRYPTION_KEY: the key-encryption keys themselves, comma-separated, the current one first. */
  encryptionKey: z.string().optional(),
  /** ENCRYPTION_KEY_REFRESH_INTERVAL: how often a newer data-key version (after rotate-key) is looked for. */
  encryptionKeyRefreshIntervalMs: refreshInterval.default(60_000),
};

export const ENCRYPTION_ENV_SUFFIX = {
  encryptionKeyFile: 'ENCRYPTION_KEY_FILE',
  encryptionKey: 'ENCRYPTION_KEY',
  encryptionKeyRefreshIntervalMs: 'ENCRYPTION_KEY_REFRESH_INTERVAL',
} as const;

/** Problems of the encryption settings together; reported on the key file so that no key is ever echoed. */
export function encryptionProblems(c: {
  encryptionKeyFile?: string | undefined;
  encryptionKey?: string | undefined;
}): { field: 'encryptionKeyFile'; message: string }[] {
  if (c.encryptionKeyFile !== undefined && c.encryptionKey !== undefined) {
    return [
      {
        field: 'encryptionKeyFile',
        message:
          'set either HUGO_ORCHESTRATOR_ENCRYPTION_KEY_FILE or HUGO_ORCHESTRATOR_ENCRYPTION_KEY, not both',
      },
    ];
  }
  return [];
}

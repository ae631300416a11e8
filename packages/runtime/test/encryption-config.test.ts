// The encryption-at-rest settings (docs/security.md, "Encryption at rest") as loadConfig reads them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, CONFIG_ENV, loadConfig } from '../src/index.js';

describe('encryption at rest configuration', () => {
  test('off by default; the key file, the key and the refresh interval come from their variables', () => {
    const off = loadConfig({});
    assert.equal(off.encryptionKeyFile, undefined);
    assert.equal(off.encryptionKey, undefined);
    assert.equal(off.encryptionKeyRefreshIntervalMs, 60_000);
    assert.equal(CONFIG_ENV.encryptionKeyFile, 'HUGO_ORCHESTRATOR_ENCRYPTION_KEY_FILE');
    const on = loadConfig({
      HUGO_ORCHESTRATOR_ENCRYPTION_KEY_FILE: '/etc/odin/encryption/kek',
      HUGO_ORCHESTRATOR_ENCRYPTION_KEY_REFRESH_INTERVAL: '30s',
    });
    assert.equal(on.encryptionKeyFile, '/etc/odin/encryption/kek');
    assert.equal(on.encryptionKeyRefreshIntervalMs, 30_000);
  });

  test('a key file and a key together, or a bad interval, are refused without echoing the key', () => {
    const secret = 'c2VjcmV0LWtleS1tYXRlcmlhbC10aGF0LW11c3Qtbm90LWxlYWs=';
    assert.throws(
      () =>
        loadConfig({
          HUGO_ORCHESTRATOR_ENCRYPTION_KEY_FILE: '/k',
          HUGO_ORCHESTRATOR_ENCRYPTION_KEY: secret,
        }),
      (e: unknown) => e instanceof ConfigError && /not both/.test(e.message) && !e.message.includes(secret),
    );
    assert.throws(
      () => loadConfig({ HUGO_ORCHESTRATOR_ENCRYPTION_KEY_REFRESH_INTERVAL: '10ms' }),
      /ENCRYPTION_KEY_REFRESH_INTERVAL.*at least 1s/,
    );
  });
});

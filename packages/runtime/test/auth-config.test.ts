import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, isAuthEnabled, loadConfig, parsePermission } from '../src/index.js';

const P = 'HUGO_ORCHESTRATOR_';

test('authorization is off unless configured, and on once a credential source is', () => {
  assert.equal(isAuthEnabled(loadConfig({})), false);
  assert.equal(isAuthEnabled(loadConfig({ [`${P}AUTH_KEY_FILE`]: '/keys/jwt.pem' })), true);
  assert.equal(isAuthEnabled(loadConfig({ [`${P}AUTH_JWKS_URL`]: 'https://issuer/jwks.json' })), true);
  assert.equal(isAuthEnabled(loadConfig({ [`${P}AUTH_TLS_SUBJECT_MAP`]: '{"a":["ns:read"]}' })), true);
  assert.equal(
    isAuthEnabled(loadConfig({ [`${P}AUTH_KEY_FILE`]: '/keys/jwt.pem', [`${P}AUTH_ENABLED`]: 'false' })),
    false,
  );
});

test('reads every auth variable', () => {
  const config = loadConfig({
    [`${P}AUTH_JWKS_URL`]: 'https://issuer/jwks.json',
    [`${P}AUTH_JWKS_CACHE_MAX_AGE_MS`]: '60000',
    [`${P}AUTH_ISSUER`]: 'https://issuer',
    [`${P}AUTH_AUDIENCE`]: 'odin, odin-admin',
    [`${P}AUTH_PERMISSIONS_CLAIM`]: 'roles',
    [`${P}AUTH_TLS_SUBJECT_MAP_FILE`]: '/etc/odin/subjects.json',
    [`${P}AUTH_ALLOW_UNAUTHENTICATED_HEALTH`]: 'false',
    [`${P}AUTH_TASK_TOKEN_KEY`]: 'k'.repeat(32),
  });
  assert.equal(config.authJwksUrl, 'https://issuer/jwks.json');
  assert.equal(config.authJwksCacheMaxAgeMs, 60000);
  assert.equal(config.authIssuer, 'https://issuer');
  assert.deepEqual(config.authAudience, ['odin', 'odin-admin']);
  assert.equal(config.authPermissionsClaim, 'roles');
  assert.equal(config.authTlsSubjectMapFile, '/etc/odin/subjects.json');
  assert.equal(config.authAllowUnauthenticatedHealth, false);
  assert.equal(config.authTaskTokenKey, 'k'.repeat(32));
  const defaults = loadConfig({});
  assert.equal(defaults.authAllowUnauthenticatedHealth, true);
  assert.equal(defaults.authPermissionsClaim, 'permissions');
});

test('refuses contradictory or malformed auth settings, naming the variable', () => {
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.problems.join('\n');
    }
    assert.fail('expected a ConfigError');
  };
  assert.match(problems({ [`${P}AUTH_ENABLED`]: 'true' }), /AUTH_ENABLED="true": needs a credential source/);
  assert.match(
    problems({ [`${P}AUTH_JWKS_URL`]: 'https://i/j', [`${P}AUTH_KEY_FILE`]: '/k' }),
    /AUTH_KEY_FILE="\/k": set either a JWKS URL or a key file/,
  );
  assert.match(problems({ [`${P}AUTH_JWKS_URL`]: 'not a url' }), /AUTH_JWKS_URL.*must be a URL/);
  assert.match(problems({ [`${P}AUTH_TASK_TOKEN_KEY`]: 'short' }), /AUTH_TASK_TOKEN_KEY.*at least 32/);
  assert.match(problems({ [`${P}AUTH_TLS_SUBJECT_MAP`]: '[1,2]' }), /AUTH_TLS_SUBJECT_MAP.*: /);
  assert.match(
    problems({ [`${P}AUTH_TLS_SUBJECT_MAP`]: '{"cn":["ns-a:owner"]}' }),
    /AUTH_TLS_SUBJECT_MAP.*cn\.0: must be "<namespace>:<role>"/,
  );
});

test('permissions are <namespace>:<role> with Temporal’s spellings', () => {
  assert.deepEqual(parsePermission('orders:read'), { namespace: 'orders', role: 'reader' });
  assert.deepEqual(parsePermission('orders:Write'), { namespace: 'orders', role: 'writer' });
  assert.deepEqual(parsePermission('temporal-system:admin'), { namespace: 'temporal-system', role: 'admin' });
  assert.deepEqual(parsePermission('orders:worker'), { namespace: 'orders', role: 'worker' });
  assert.equal(parsePermission('orders'), undefined);
  assert.equal(parsePermission(':admin'), undefined);
  assert.equal(parsePermission('orders:owner'), undefined);
  // Nothing is trimmed: a permission names exactly the namespace it spells.
  assert.deepEqual(parsePermission(' orders :admin'), { namespace: ' orders ', role: 'admin' });
  assert.equal(parsePermission('orders: admin'), undefined);
});

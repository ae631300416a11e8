import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveClientSettings } from '../src/commands/settings.js';

test('the bearer token comes from --api-key, then HUGO_ORCHESTRATOR_API_KEY, then TEMPORAL_API_KEY', () => {
  const env = { HUGO_ORCHESTRATOR_API_KEY: 'ours', TEMPORAL_API_KEY: 'theirs' };
  assert.equal(resolveClientSettings({ apiKey: 'flag' }, env).apiKey, 'flag');
  assert.equal(resolveClientSettings({}, env).apiKey, 'ours');
  assert.equal(resolveClientSettings({}, { TEMPORAL_API_KEY: 'theirs' }).apiKey, 'theirs');
  assert.equal(resolveClientSettings({}, {}).apiKey, undefined);
});

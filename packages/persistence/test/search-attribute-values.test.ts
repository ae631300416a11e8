import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_JSON_DEPTH } from '@odin/hugo';
import { decodeSearchAttributeValue } from '../src/index.js';

const payload = (json: string) => ({
  metadata: { encoding: Buffer.from('json/plain') },
  data: Buffer.from(json),
});

test('a value nested deeper than the JSON depth limit is refused before it is parsed', () => {
  const deep = `${'['.repeat(MAX_JSON_DEPTH + 1)}"x"${']'.repeat(MAX_JSON_DEPTH + 1)}`;
  for (const type of ['Keyword', 'KeywordList', 'Text'] as const) {
    const decoded = decodeSearchAttributeValue(payload(deep), type);
    assert.equal(decoded.ok, false, type);
    if (!decoded.ok) assert.match(decoded.error.message, /nests deeper than 256 levels/);
  }
  const shallow = decodeSearchAttributeValue(payload('["a","b"]'), 'KeywordList');
  assert.ok(shallow.ok);
});

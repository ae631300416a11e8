import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonNestsDeeperThan, MAX_JSON_DEPTH } from '../src/index.js';

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

test('nesting is measured over arrays and objects, without recursing', () => {
  assert.equal(jsonNestsDeeperThan(nested(MAX_JSON_DEPTH)), false);
  assert.equal(jsonNestsDeeperThan(nested(MAX_JSON_DEPTH + 1)), true);
  assert.equal(jsonNestsDeeperThan(nested(1_000_000)), true, 'a million levels: no stack overflow');
  assert.equal(jsonNestsDeeperThan('{"a":{"b":[1]}}', 3), false);
  assert.equal(jsonNestsDeeperThan('{"a":{"b":[[1]]}}', 3), true);
});

test('brackets inside strings, escaped quotes included, do not count', () => {
  assert.equal(jsonNestsDeeperThan(`["${'['.repeat(500)}"]`, 2), false);
  assert.equal(jsonNestsDeeperThan(`["\\"${'{'.repeat(500)}"]`, 2), false);
  assert.equal(jsonNestsDeeperThan(`["\\\\", [[[1]]]]`, 3), true);
});

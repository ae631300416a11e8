import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunCache } from '../src/cache.js';
import type { CachedRun } from '../src/cache.js';
import { CachedHistory } from '../src/cached-history.js';
import type { MutableState } from '../src/state/mutable-state.js';
import type { HistoryEvent } from '../src/util/codec.js';

/** A running run of `jsonBytes` of state (counted twice: the string and the state parsed from it). */
function run(jsonBytes: number, historySizeBytes = 0, events?: HistoryEvent[]): CachedRun {
  const ms = { historySizeBytes, status: 1 } as MutableState;
  return {
    ms,
    json: 'x'.repeat(jsonBytes / 2),
    dbVersion: 1,
    ...(events ? { history: new CachedHistory(events) } : {}),
  };
}

test('the run cache drops the least recently used runs beyond its entry limit', () => {
  const cache = new RunCache({ entries: 2, bytes: 1 << 20 });
  cache.put('a', run(10));
  cache.put('b', run(10));
  assert.ok(cache.get('a'));
  cache.put('c', run(10));
  assert.ok(cache.get('a'));
  assert.equal(cache.get('b'), undefined);
  assert.ok(cache.get('c'));
});

test('the run cache drops the least recently used runs beyond its byte limit, counting held histories', () => {
  const cache = new RunCache({ entries: 100, bytes: 1_000 });
  cache.put('a', run(400));
  cache.put('b', run(400));
  cache.put('c', run(400));
  assert.equal(cache.get('a'), undefined);
  assert.ok(cache.get('b'));
  // A run whose history was loaded into it grows; counted again, it pushes the older run out.
  const c = cache.get('c')!;
  c.ms.historySizeBytes = 30;
  c.history = new CachedHistory([]);
  cache.resize('c', c);
  assert.equal(cache.get('b'), undefined);
  assert.equal(cache.get('c'), c);
});

test('a run too large for the cache with its history is kept without it, and not at all when still too large', () => {
  const cache = new RunCache({ entries: 10, bytes: 1_000 });
  const big = run(600, 50, []);
  cache.put('big', big);
  assert.equal(cache.get('big'), big);
  assert.equal(big.history, undefined);
  cache.put('huge', run(2_000));
  assert.equal(cache.get('huge'), undefined);
});

test('resize leaves the cache alone when another object is cached under the key', () => {
  const cache = new RunCache({ entries: 10, bytes: 1_000 });
  const current = run(10);
  cache.put('k', current);
  cache.resize('k', run(10));
  assert.equal(cache.get('k'), current);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VirtualClock } from '@odin/hugo';
import type { NamespaceRecord, NamespaceStore } from '../src/contract.js';
import { NAMESPACE_CACHE_TTL_MS, NamespaceCache } from '../src/namespace-cache.js';

function fakeStore(records: NamespaceRecord[]): NamespaceStore & { reads: number } {
  const store = {
    reads: 0,
    async getNamespaceByName(name: string) {
      store.reads++;
      return records.find((r) => r.name === name) ?? null;
    },
    async getNamespaceById(id: string) {
      store.reads++;
      return records.find((r) => r.id === id) ?? null;
    },
    createNamespace: () => Promise.reject(new Error('unused')),
    updateNamespace: () => Promise.reject(new Error('unused')),
    listNamespaces: () => Promise.reject(new Error('unused')),
    deleteNamespace: () => Promise.reject(new Error('unused')),
  };
  return store;
}

const ns = (version: number): NamespaceRecord => ({
  id: 'id-1',
  name: 'orders',
  state: 1,
  description: '',
  ownerEmail: '',
  retentionMs: 1000,
  version,
  createdAt: 0,
  updatedAt: 0,
});

test('namespace lookups are served from the cache for five minutes, by name and by id', async () => {
  const records = [ns(1)];
  const store = fakeStore(records);
  const clock = new VirtualClock();
  const cache = new NamespaceCache(store, clock);
  assert.equal((await cache.getByName('orders'))?.version, 1);
  assert.equal((await cache.getById('id-1'))?.version, 1);
  assert.equal(store.reads, 1, 'the id lookup reuses the entry loaded by name');
  records[0] = ns(2);
  await clock.advance(NAMESPACE_CACHE_TTL_MS - 1);
  assert.equal((await cache.getByName('orders'))?.version, 1);
  await clock.advance(1);
  assert.equal((await cache.getByName('orders'))?.version, 2);
  assert.equal(store.reads, 2);
});

test('misses are cached too, and invalidate forces a reload', async () => {
  const records: NamespaceRecord[] = [];
  const store = fakeStore(records);
  const cache = new NamespaceCache(store, new VirtualClock());
  assert.equal(await cache.getByName('orders'), null);
  records.push(ns(1));
  assert.equal(await cache.getByName('orders'), null);
  cache.invalidate({ name: 'orders' });
  assert.equal((await cache.getByName('orders'))?.version, 1);
  assert.equal(store.reads, 2);
});

const named = (name: string): NamespaceRecord => ({ ...ns(1), id: `${name}-id`, name });

test('each index holds at most maxEntries: the least recently used entry goes first', async () => {
  const records = ['a', 'b', 'c'].map(named);
  const store = fakeStore(records);
  const cache = new NamespaceCache(store, new VirtualClock(), { maxEntries: 2 });
  await cache.getByName('a');
  await cache.getByName('b');
  await cache.getByName('a'); // a is now the most recently used
  assert.equal(store.reads, 2);
  await cache.getByName('c'); // evicts b by name (and a's id entry, the least recently used by id)
  assert.deepEqual(cache.size, { byName: 2, byId: 2 });
  await cache.getByName('a');
  assert.equal(store.reads, 3, 'a stayed');
  await cache.getByName('b');
  assert.equal(store.reads, 4, 'b was evicted and is loaded again');
});

test('misses are bounded too: many unknown names never grow the cache past its bound', async () => {
  const store = fakeStore([]);
  const cache = new NamespaceCache(store, new VirtualClock(), { maxEntries: 100 });
  for (let i = 0; i < 1000; i++) assert.equal(await cache.getByName(`no-such-${i}`), null);
  assert.deepEqual(cache.size, { byName: 100, byId: 0 });
});

test('the TTL runs on the injected clock, not on real time, from any starting time', async () => {
  for (const start of [0, Date.UTC(2026, 0, 1)]) {
    const records = [ns(1)];
    const store = fakeStore(records);
    const clock = new VirtualClock(start);
    const cache = new NamespaceCache(store, clock, { ttlMs: 20 });
    await cache.getByName('orders');
    records[0] = ns(2);
    await new Promise((resolve) => setTimeout(resolve, 50)); // real time passes, the injected clock does not
    assert.equal((await cache.getByName('orders'))?.version, 1, `still cached (clock at ${start})`);
    await clock.advance(19);
    assert.equal((await cache.getByName('orders'))?.version, 1);
    await clock.advance(1);
    assert.equal(
      (await cache.getByName('orders'))?.version,
      2,
      `expired on the injected clock (clock at ${start})`,
    );
  }
});

test('a TTL under 2 ms or a bound under 1 is refused', () => {
  const store = fakeStore([]);
  assert.throws(() => new NamespaceCache(store, new VirtualClock(), { ttlMs: 1 }), RangeError);
  assert.throws(() => new NamespaceCache(store, new VirtualClock(), { maxEntries: 0 }), RangeError);
});

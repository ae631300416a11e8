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

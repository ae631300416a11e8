import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { StatementCache } from '../src/dialects/sqlite/statement-cache.js';

/** A connection that counts how often each statement is prepared. */
function countingDatabase() {
  const db = new Database(':memory:');
  const prepared = new Map<string, number>();
  return {
    prepared,
    prepare(text: string) {
      prepared.set(text, (prepared.get(text) ?? 0) + 1);
      return db.prepare(text);
    },
  };
}

test('a statement used between many others stays prepared: the least recently used is dropped', () => {
  const db = countingDatabase();
  const cache = new StatementCache(db, 8);
  const hot = 'SELECT 0';
  for (let i = 1; i <= 100; i++) {
    cache.prepare(hot);
    cache.prepare(`SELECT ${i}`);
  }
  assert.equal(db.prepared.get(hot), 1);
  assert.equal(db.prepared.get('SELECT 1'), 1);
});

test('a statement dropped for newer ones is prepared again, and the prepared statement runs', () => {
  const db = countingDatabase();
  const cache = new StatementCache(db, 4);
  for (let i = 0; i < 5; i++) cache.prepare(`SELECT ${i} AS v`);
  assert.deepEqual(cache.prepare('SELECT 0 AS v').get(), { v: 0 });
  assert.equal(db.prepared.get('SELECT 0 AS v'), 2);
  assert.equal(db.prepared.get('SELECT 4 AS v'), 1);
  cache.prepare('SELECT 4 AS v');
  assert.equal(db.prepared.get('SELECT 4 AS v'), 1);
});

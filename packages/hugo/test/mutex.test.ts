import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flushMicrotasks } from '../src/clock.js';
import { Mutex, RwMutex } from '../src/sync/mutex.js';

describe('Mutex', () => {
  test('grants the lock in FIFO order', async () => {
    const mutex = new Mutex();
    const order: number[] = [];
    const first = await mutex.lock();
    const waiters = [1, 2, 3].map((n) =>
      mutex.lock().then((scope) => {
        order.push(n);
        scope.release();
      }),
    );
    await flushMicrotasks();
    assert.deepEqual(order, []);
    first.release();
    await Promise.all(waiters);
    assert.deepEqual(order, [1, 2, 3]);
    assert.equal(mutex.locked, false);
  });

  test('is not re-entrant: a second lock by the holder waits', async () => {
    const mutex = new Mutex();
    const held = await mutex.lock();
    let reentered = false;
    const again = mutex.lock().then((s) => {
      reentered = true;
      return s;
    });
    await flushMicrotasks();
    assert.equal(reentered, false);
    assert.equal(mutex.tryLock(), undefined);
    held.release();
    (await again).release();
    assert.equal(reentered, true);
  });

  test('releasing twice is a no-op', async () => {
    const mutex = new Mutex();
    const a = await mutex.lock();
    const bPromise = mutex.lock();
    a.release();
    const b = await bPromise;
    a.release();
    assert.equal(mutex.locked, true, 'the second release did not free b');
    b.release();
    assert.equal(mutex.locked, false);
  });

  test('an aborted wait rejects and leaves the queue', async () => {
    const mutex = new Mutex();
    const held = await mutex.lock();
    const controller = new AbortController();
    const aborted = mutex.lock(controller.signal);
    const next = mutex.lock();
    controller.abort();
    await assert.rejects(aborted, { name: 'AbortError' });
    assert.equal(mutex.waiting, 1);
    held.release();
    (await next).release();
    assert.equal(mutex.locked, false);
  });

  test('using releases the lock at the end of the scope, even on throw', async () => {
    const mutex = new Mutex();
    await assert.rejects(async () => {
      using _ = await mutex.lock();
      assert.equal(mutex.locked, true);
      throw new Error('inside');
    }, /inside/);
    assert.equal(mutex.locked, false);
    assert.equal(await mutex.runExclusive(() => 5), 5);
  });

  test('runExclusive serialises critical sections', async () => {
    const mutex = new Mutex();
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 5 }, () =>
        mutex.runExclusive(async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await flushMicrotasks(1);
          inside--;
        }),
      ),
    );
    assert.equal(maxInside, 1);
  });
});

describe('RwMutex', () => {
  test('readers share the lock', async () => {
    const rw = new RwMutex();
    const a = await rw.rLock();
    const b = await rw.rLock();
    assert.equal(rw.readerCount, 2);
    assert.equal(rw.tryLock(), undefined);
    a.release();
    b.release();
    assert.equal(rw.readerCount, 0);
  });

  test('a writer excludes readers and other writers', async () => {
    const rw = new RwMutex();
    const w = await rw.lock();
    assert.equal(rw.tryRLock(), undefined);
    assert.equal(rw.tryLock(), undefined);
    w.release();
    assert.ok(rw.tryRLock());
  });

  test('a waiting writer blocks new readers (no writer starvation)', async () => {
    const rw = new RwMutex();
    const order: string[] = [];
    const reader1 = await rw.rLock();
    const writer = rw.lock().then((s) => {
      order.push('writer');
      return s;
    });
    const reader2 = rw.rLock().then((s) => {
      order.push('reader2');
      return s;
    });
    await flushMicrotasks();
    assert.deepEqual(order, [], 'reader2 queued behind the waiting writer');
    reader1.release();
    const w = await writer;
    await flushMicrotasks();
    assert.deepEqual(order, ['writer']);
    w.release();
    (await reader2).release();
    assert.deepEqual(order, ['writer', 'reader2']);
  });

  test('consecutive waiting readers are admitted together after a writer', async () => {
    const rw = new RwMutex();
    const w = await rw.lock();
    const readers = [rw.rLock(), rw.rLock(), rw.rLock()];
    w.release();
    const scopes = await Promise.all(readers);
    assert.equal(rw.readerCount, 3);
    for (const s of scopes) s.release();
  });

  test('a continuous stream of readers cannot starve a writer', async () => {
    const rw = new RwMutex();
    let writerDone = false;
    const first = await rw.rLock();
    const writer = rw.runWrite(() => {
      writerDone = true;
    });
    // Readers keep arriving while the first one holds the lock; none may overtake the writer.
    const later = Array.from({ length: 10 }, () => rw.runRead(() => writerDone));
    first.release();
    await writer;
    assert.deepEqual(await Promise.all(later), Array(10).fill(true));
  });

  test('an aborted writer wait lets queued readers in', async () => {
    const rw = new RwMutex();
    const reader = await rw.rLock();
    const controller = new AbortController();
    const writer = rw.lock(controller.signal);
    const queuedReader = rw.rLock();
    controller.abort();
    await assert.rejects(writer, { name: 'AbortError' });
    const r2 = await queuedReader;
    assert.equal(rw.readerCount, 2);
    reader.release();
    r2.release();
    reader.release();
    assert.equal(rw.readerCount, 0, 'a second release of a read scope is a no-op');
  });
});

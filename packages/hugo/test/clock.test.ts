import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VirtualClock } from '../src/clock.js';

describe('VirtualClock', () => {
  test('fires timers in due order, same-instant timers in the order they were set', async () => {
    const clock = new VirtualClock(0);
    const fired: string[] = [];
    clock.setTimer(20, () => fired.push('b'));
    clock.setTimer(10, () => fired.push('a'));
    clock.setTimer(20, () => fired.push('c'));
    await clock.advance(15);
    assert.deepEqual(fired, ['a']);
    assert.equal(clock.now(), 15);
    await clock.advance(5);
    assert.deepEqual(fired, ['a', 'b', 'c']);
  });

  test('a cancelled timer never fires', async () => {
    const clock = new VirtualClock(0);
    let fired = false;
    const handle = clock.setTimer(5, () => {
      fired = true;
    });
    assert.equal(handle.cancel(), true);
    assert.equal(handle.cancel(), false);
    await clock.advance(10);
    assert.equal(fired, false);
  });

  test('sleep resolves at its due time and rejects when its signal aborts first', async () => {
    const clock = new VirtualClock(0);
    let woke = false;
    const sleeping = clock.sleep(100).then(() => {
      woke = true;
    });
    await clock.advance(99);
    assert.equal(woke, false);
    await clock.advance(1);
    await sleeping;
    assert.equal(woke, true);

    const controller = new AbortController();
    const aborted = clock.sleep(100, controller.signal);
    controller.abort(new Error('stop'));
    await assert.rejects(aborted, /stop/);
    assert.equal(clock.pendingTimers, 0);
  });

  test('timers set by a firing timer run within the same advance when due', async () => {
    const clock = new VirtualClock(0);
    const fired: number[] = [];
    clock.setTimer(10, () => {
      fired.push(clock.now());
      clock.setTimer(10, () => fired.push(clock.now()));
    });
    await clock.advance(30);
    assert.deepEqual(fired, [10, 20]);
    assert.equal(clock.now(), 30);
  });
});

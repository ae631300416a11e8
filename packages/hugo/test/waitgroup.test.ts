import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flushMicrotasks, VirtualClock } from '../src/clock.js';
import { WaitGroup } from '../src/sync/waitgroup.js';

describe('WaitGroup', () => {
  test('add rejects a zero, negative or fractional delta', () => {
    const wg = new WaitGroup();
    assert.throws(() => wg.add(0), RangeError);
    assert.throws(() => wg.add(-1), RangeError);
    assert.throws(() => wg.add(1.5), RangeError);
  });

  test('done below zero throws', () => {
    const wg = new WaitGroup();
    assert.throws(() => wg.done(), /negative/);
    wg.add(1);
    wg.done();
    assert.throws(() => wg.done(), /negative/);
  });

  test('wait resolves at once at zero, but rejects when the signal is already aborted', async () => {
    const wg = new WaitGroup();
    await wg.wait();
    await assert.rejects(wg.wait(AbortSignal.abort()), { name: 'AbortError' });
  });

  test('wait resolves when the count reaches zero', async () => {
    const wg = new WaitGroup();
    wg.add(2);
    let released = false;
    const waiting = wg.wait().then(() => {
      released = true;
    });
    wg.done();
    await flushMicrotasks();
    assert.equal(released, false);
    wg.done();
    await waiting;
    assert.equal(released, true);
  });

  test('go and add(promise) release even when the work rejects, without surfacing it', async () => {
    const wg = new WaitGroup();
    wg.go(async () => {
      throw new Error('worker failed');
    });
    wg.add(Promise.reject(new Error('task failed')));
    wg.go(() => {
      throw new Error('sync throw');
    });
    assert.equal(wg.count, 3);
    await wg.wait();
    assert.equal(wg.count, 0);
  });

  test('go with an aborted signal counts and releases without running', async () => {
    const wg = new WaitGroup();
    let ran = false;
    wg.go(() => {
      ran = true;
    }, AbortSignal.abort());
    await wg.wait();
    assert.equal(ran, false);
  });

  test('a wait can be aborted', async () => {
    const wg = new WaitGroup();
    wg.add(1);
    const controller = new AbortController();
    const waiting = wg.wait(controller.signal);
    controller.abort();
    await assert.rejects(waiting, { name: 'AbortError' });
  });

  test('waitWithTimeout returns false when the virtual clock passes the timeout', async () => {
    const clock = new VirtualClock();
    const wg = new WaitGroup({ clock });
    wg.add(1);
    const waiting = wg.waitWithTimeout(1_000);
    await clock.advance(999);
    wg.add(1);
    await clock.advance(1);
    assert.equal(await waiting, false);
    assert.equal(clock.pendingTimers, 0);
  });

  test('waitWithTimeout returns true when the work finishes first', async () => {
    const clock = new VirtualClock();
    const wg = new WaitGroup({ clock });
    wg.add(1);
    const waiting = wg.waitWithTimeout(1_000);
    await clock.advance(500);
    wg.done();
    assert.equal(await waiting, true);
    assert.equal(clock.pendingTimers, 0);
    assert.equal(await wg.waitWithTimeout(0), true);
  });

  test('waitWithTimeout throws on cancellation', async () => {
    const clock = new VirtualClock();
    const wg = new WaitGroup({ clock });
    wg.add(1);
    const controller = new AbortController();
    const waiting = wg.waitWithTimeout(1_000, controller.signal);
    controller.abort(new Error('caller gave up'));
    await assert.rejects(waiting, /caller gave up/);
  });
});

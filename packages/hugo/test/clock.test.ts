import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type HostTimers, MAX_TIMER_DELAY_MS, SystemClock, VirtualClock } from '../src/clock.js';

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

describe('SystemClock with timers longer than setTimeout allows', () => {
  /** A host whose timers fire only when the test says, and whose time moves with them. */
  function fakeHost() {
    let now = 1_000_000;
    const pending: { due: number; delay: number; fn: () => void; cleared: boolean; unrefs: number }[] = [];
    const host: HostTimers = {
      now: () => now,
      setTimeout(fn, delay) {
        const timer = {
          due: now + delay,
          delay,
          fn,
          cleared: false,
          unrefs: 0,
          unref: () => {
            timer.unrefs++;
          },
        };
        pending.push(timer);
        return timer;
      },
      clearTimeout(handle) {
        (handle as { cleared: boolean }).cleared = true;
      },
    };
    const fireNext = () => {
      const next = pending.filter((t) => !t.cleared).sort((a, b) => a.due - b.due)[0];
      assert.ok(next, 'a timer is pending');
      pending.splice(pending.indexOf(next), 1);
      now = next.due;
      next.fn();
    };
    return { host, pending, fireNext, now: () => now };
  }

  test('a 30-day timer is armed in steps no longer than the maximum and fires once, on time', () => {
    const { host, pending, fireNext, now } = fakeHost();
    const clock = new SystemClock(host);
    const thirtyDays = 30 * 24 * 3_600_000;
    const start = now();
    let fired = 0;
    clock.setTimer(thirtyDays, () => fired++);
    let steps = 0;
    while (fired === 0) {
      assert.ok(pending.every((t) => t.delay <= MAX_TIMER_DELAY_MS));
      fireNext();
      steps++;
    }
    assert.equal(fired, 1);
    assert.equal(now() - start, thirtyDays);
    assert.equal(steps, Math.ceil(thirtyDays / MAX_TIMER_DELAY_MS));
    assert.equal(pending.length, 0);
  });

  test('cancelling a long timer between steps stops it', () => {
    const { host, pending, fireNext } = fakeHost();
    const clock = new SystemClock(host);
    let fired = 0;
    const handle = clock.setTimer(3 * MAX_TIMER_DELAY_MS, () => fired++);
    fireNext();
    assert.equal(handle.cancel(), true);
    assert.ok(pending.every((t) => t.cleared));
    assert.equal(handle.cancel(), false);
    assert.equal(fired, 0);
  });

  test("the engine's timers do not keep the process alive; a keep-alive clock's do, each step of a long one", () => {
    const engine = fakeHost();
    new SystemClock(engine.host).setTimer(2 * MAX_TIMER_DELAY_MS, () => undefined);
    engine.fireNext();
    assert.ok(engine.pending.length > 0);
    assert.ok(engine.pending.every((t) => t.unrefs === 1));

    const client = fakeHost();
    new SystemClock(client.host, { keepAlive: true }).setTimer(2 * MAX_TIMER_DELAY_MS, () => undefined);
    client.fireNext();
    assert.ok(client.pending.length > 0);
    assert.ok(client.pending.every((t) => t.unrefs === 0));
  });

  test('a real long timer does not fire early', async () => {
    const clock = new SystemClock();
    let fired = false;
    const handle = clock.setTimer(30 * 24 * 3_600_000, () => {
      fired = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    await clock.sleep(20);
    assert.equal(fired, false);
    handle.cancel();
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { flushMicrotasks, VirtualClock } from '../src/clock.js';
import { after, afterAsync, delay, newTicker, tick } from '../src/channels/timers.js';

describe('delay and after', () => {
  test('delay resolves after the given time on the clock', async () => {
    const clock = new VirtualClock();
    let done = false;
    const waiting = delay(100, { clock }).then(() => {
      done = true;
    });
    await clock.advance(99);
    assert.equal(done, false);
    await clock.advance(1);
    await waiting;
    assert.equal(done, true);
  });

  test('after yields the time once and then completes', async () => {
    const clock = new VirtualClock(1_000);
    const reader = after(250, { clock });
    assert.equal(reader.canRead(), false);
    await clock.advance(250);
    assert.equal(await reader.read(), 1_250);
    assert.equal(await reader.waitToRead(), false);
  });

  test('after rejects negative or infinite delays', () => {
    assert.throws(() => after(-1), RangeError);
    assert.throws(() => after(Number.POSITIVE_INFINITY), RangeError);
    assert.throws(() => delay(-5), RangeError);
  });

  test('after stops without a value when its signal aborts', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const reader = after(100, { clock, signal: controller.signal });
    controller.abort();
    assert.equal(await reader.waitToRead(), false);
    assert.equal(clock.pendingTimers, 0);
  });

  test('afterAsync resolves with the time', async () => {
    const clock = new VirtualClock(0);
    const at = afterAsync(10, { clock });
    await clock.advance(10);
    assert.equal(await at, 10);
  });
});

describe('ticker', () => {
  test('ticks every period', async () => {
    const clock = new VirtualClock(0);
    const ticker = newTicker(100, { clock });
    await clock.advance(100);
    assert.equal(await ticker.reader.read(), 100);
    await clock.advance(100);
    assert.equal(await ticker.reader.read(), 200);
    ticker.stop();
  });

  test('holds one tick and drops the oldest when the consumer lags', async () => {
    const clock = new VirtualClock(0);
    const ticker = newTicker(10, { clock });
    await clock.advance(35);
    assert.equal(ticker.reader.count, 1);
    assert.equal(await ticker.reader.read(), 30);
    ticker.stop();
  });

  test('stop completes the reader and cancels the timer', async () => {
    const clock = new VirtualClock(0);
    {
      using ticker = newTicker(10, { clock });
      await clock.advance(10);
      assert.equal(ticker.stopped, false);
    }
    assert.equal(clock.pendingTimers, 0);
  });

  test('tick returns a reader stopped through the signal', async () => {
    const clock = new VirtualClock(0);
    const controller = new AbortController();
    const reader = tick(5, { clock, signal: controller.signal });
    await clock.advance(5);
    assert.equal(await reader.read(), 5);
    controller.abort();
    await flushMicrotasks();
    assert.equal(await reader.waitToRead(), false);
    assert.throws(() => newTicker(0), RangeError);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { abortScope } from '../src/abort-scope.js';
import { VirtualClock } from '../src/clock.js';

describe('abortScope', () => {
  test('the parent aborting aborts the scope with the parent’s reason, not as a timeout', () => {
    const parent = new AbortController();
    const scope = abortScope(parent.signal);
    const reason = new Error('parent gave up');
    parent.abort(reason);
    assert.equal(scope.signal.reason, reason);
    assert.equal(scope.timedOut, false);
  });

  test('an already-aborted parent aborts the scope at once and sets no timer', () => {
    const clock = new VirtualClock();
    const parent = new AbortController();
    parent.abort();
    const scope = abortScope(parent.signal, { clock, ms: 10 });
    assert.equal(scope.signal.aborted, true);
    assert.equal(clock.pendingTimers, 0);
  });

  test('the deadline aborts on the clock with its reason and marks the scope timed out', async () => {
    const clock = new VirtualClock();
    const scope = abortScope(undefined, { clock, ms: 100, reason: () => 'late' });
    await clock.advance(99);
    assert.equal(scope.signal.aborted, false);
    await clock.advance(1);
    assert.equal(scope.signal.reason, 'late');
    assert.equal(scope.timedOut, true);
  });

  test('a deadline after an earlier abort does not count as a timeout', async () => {
    const clock = new VirtualClock();
    const parent = new AbortController();
    const scope = abortScope(parent.signal, { clock, ms: 100 });
    parent.abort();
    scope.abort('ignored, already aborted');
    await clock.advance(100);
    assert.equal(scope.timedOut, false);
    assert.notEqual(scope.signal.reason, 'ignored, already aborted');
  });

  test('dispose cancels the timer and detaches from the parent', () => {
    const clock = new VirtualClock();
    const parent = new AbortController();
    {
      using scope = abortScope(parent.signal, { clock, ms: 100 });
      assert.equal(clock.pendingTimers, 1);
      void scope;
    }
    assert.equal(clock.pendingTimers, 0);
    const later = abortScope(parent.signal);
    later.dispose();
    parent.abort();
    assert.equal(later.signal.aborted, false);
  });

  test('an infinite deadline sets no timer', () => {
    const clock = new VirtualClock();
    abortScope(undefined, { clock, ms: Number.POSITIVE_INFINITY });
    assert.equal(clock.pendingTimers, 0);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VirtualClock } from '../src/clock.js';
import { ErrGroup } from '../src/errgroup.js';
import { ResultExecutionPolicy, RetryPolicy } from '../src/policies/index.js';
import { aggregatedErrors, ErrorCodes, fail, HugoError, ok } from '../src/result/index.js';

/** Waits until `signal` aborts (at once when it already has), then rejects with its reason. */
const never = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });

describe('ErrGroup', () => {
  test('wait returns Ok when every function succeeds', async () => {
    const group = new ErrGroup();
    const done: number[] = [];
    group.go(async () => void done.push(1));
    group.go(() => ok());
    group.go(() => undefined);
    assert.deepEqual(await group.wait(), ok());
    assert.deepEqual(done, [1]);
  });

  test('wait with nothing started is Ok at once', async () => {
    assert.equal((await new ErrGroup().wait()).ok, true);
  });

  test('the first error wins and aborts the peers', async () => {
    const group = new ErrGroup();
    let peerSaw: unknown;
    group.go(async (signal) => {
      try {
        await never(signal);
      } catch (e) {
        peerSaw = signal.aborted;
        throw e;
      }
    });
    group.go(() => fail(HugoError.from('first')));
    group.go(async () => {
      await new Promise((r) => setImmediate(r));
      return fail(HugoError.from('second'));
    });
    const r = await group.wait();
    assert.equal(r.error?.message, 'first');
    assert.equal(group.error?.message, 'first');
    assert.equal(peerSaw, true);
    assert.equal(group.signal.aborted, true);
  });

  test('throws are captured as error.exception', async () => {
    const group = new ErrGroup();
    group.go(() => {
      throw new TypeError('bug');
    });
    const r = await group.wait();
    assert.equal(r.error?.code, ErrorCodes.Exception);
    assert.equal(r.error?.message, 'bug');
  });

  test('cancellations are captured as error.canceled', async () => {
    const group = new ErrGroup();
    group.go(() => {
      throw new DOMException('stop', 'AbortError');
    });
    assert.equal((await group.wait()).error?.code, ErrorCodes.Canceled);
  });

  test('cancel records "ErrGroup was canceled." and aborts the work', async () => {
    const group = new ErrGroup();
    group.go((signal) => never(signal));
    group.cancel();
    const r = await group.wait();
    assert.equal(r.error?.code, ErrorCodes.Canceled);
    assert.equal(r.error?.message, 'ErrGroup was canceled.');
  });

  test('cancel does not overwrite an earlier error', async () => {
    const group = new ErrGroup();
    group.go(() => fail(HugoError.from('real')));
    await group.wait();
    group.cancel();
    assert.equal((await group.wait()).error?.message, 'real');
  });

  test('a parent signal aborts the group', async () => {
    const parent = new AbortController();
    const group = new ErrGroup(parent.signal);
    group.go((signal) => never(signal));
    parent.abort();
    assert.equal(group.signal.aborted, true);
    assert.equal((await group.wait()).error?.code, ErrorCodes.Canceled);
  });

  test('wait never throws: an aborted wait signal gives error.canceled', async () => {
    const group = new ErrGroup();
    group.go((signal) => never(signal));
    const waiter = new AbortController();
    const waiting = group.wait(waiter.signal);
    waiter.abort();
    assert.equal((await waiting).error?.code, ErrorCodes.Canceled);
    group.cancel();
    await group.wait();
  });

  test('go after dispose throws; using disposes', async () => {
    const group = new ErrGroup();
    group.dispose();
    assert.throws(() => group.go(() => ok()), /disposed/);
    let escaped: ErrGroup | undefined;
    {
      using scoped = new ErrGroup();
      escaped = scoped;
    }
    assert.throws(() => escaped?.go(() => ok()), /disposed/);
  });
});

describe('ErrGroup policy steps', () => {
  test('retries a step per policy', async () => {
    const clock = new VirtualClock();
    const group = new ErrGroup();
    let attempts = 0;
    group.goStep(
      () => {
        attempts++;
        return attempts < 3 ? fail(HugoError.from('again')) : ok();
      },
      { policy: ResultExecutionPolicy.withRetry(RetryPolicy.fixedDelay(3, 10)), clock },
    );
    await clock.runAll();
    assert.deepEqual(await group.wait(), ok());
    assert.equal(attempts, 3);
  });

  test('aborts peers before running the failed step’s compensation', async () => {
    const group = new ErrGroup();
    const log: string[] = [];
    group.go(async (signal) => {
      try {
        await never(signal);
      } catch (e) {
        log.push('peer aborted');
        throw e;
      }
    });
    group.goStep((ctx) => {
      ctx.registerCompensation(() => {
        log.push(`compensating; group aborted=${group.signal.aborted}`);
      });
      return fail(HugoError.from('step failed'));
    });
    const r = await group.wait();
    assert.equal(r.error?.message, 'step failed');
    // The abort is signalled synchronously before compensation; the peer reacts on its own next turn.
    assert.deepEqual([...log].sort(), ['compensating; group aborted=true', 'peer aborted']);
  });

  test('a compensation error becomes "ErrGroup step failed with compensation error."', async () => {
    const group = new ErrGroup();
    group.goStep((ctx) => {
      ctx.registerCompensation(() => {
        throw new Error('undo');
      });
      return fail(HugoError.from('step'));
    });
    const r = await group.wait();
    assert.equal(r.error?.code, ErrorCodes.Aggregate);
    assert.equal(r.error?.message, 'ErrGroup step failed with compensation error.');
    assert.deepEqual(
      aggregatedErrors(r.error!).map((e) => e.message),
      ['step', 'undo'],
    );
  });

  test('a successful step’s compensations are dropped', async () => {
    const group = new ErrGroup();
    let undone = false;
    group.goStep((ctx) => {
      ctx.registerCompensation(() => {
        undone = true;
      });
      return ok();
    });
    assert.deepEqual(await group.wait(), ok());
    assert.equal(undone, false);
  });
});

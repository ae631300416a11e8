import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { VirtualClock } from '../src/clock.js';
import {
  CompensationPolicy,
  CompensationScope,
  createSaga,
  cronNext,
  executeStep,
  fallbackTier,
  ResultExecutionPolicy,
  resultWithCompensation,
  RetryPolicy,
  retryOperation,
  retryWithPolicy,
  runCompensation,
  runWithTimeout,
  type StepOperation,
  tieredFallback,
  whenAll,
  whenAny,
} from '../src/policies/index.js';
import { aggregatedErrors, ErrorCodes, fail, HugoError, ok } from '../src/result/index.js';

const failure = (m = 'nope') => fail<never>(HugoError.from(m, 'test.failure'));

/** Two racers on the step clock: `fast` succeeds after 10 ms; `slow` would after 500 ms and notes its abort. */
function slowAndFast() {
  let slowAborted = false;
  const slow: StepOperation<string> = async (ctx, signal) => {
    try {
      await ctx.clock.sleep(500, signal);
    } catch (e) {
      slowAborted = true;
      throw e;
    }
    return ok('slow');
  };
  const fast: StepOperation<string> = async (ctx) => {
    await ctx.clock.sleep(10);
    return ok('fast');
  };
  return { slow, fast, slowAborted: () => slowAborted };
}

/** Runs `work` while driving the virtual clock until it settles. */
async function drive<T>(clock: VirtualClock, work: Promise<T>): Promise<T> {
  let done = false;
  const tracked = work.finally(() => {
    done = true;
  });
  for (let i = 0; i < 1000 && !done; i++) {
    await clock.advance(0);
    const next = clock.nextDueAt();
    if (!done && next !== undefined) await clock.advanceTo(next);
  }
  return tracked;
}

describe('RetryPolicy', () => {
  test('maxAttempts counts total attempts, the first included', async () => {
    const clock = new VirtualClock();
    let calls = 0;
    const policy = ResultExecutionPolicy.withRetry(RetryPolicy.fixedDelay(3, 100));
    const r = await drive(
      clock,
      retryWithPolicy(
        () => {
          calls++;
          return failure();
        },
        { policy, clock },
      ),
    );
    assert.equal(calls, 3);
    assert.equal(r.error?.code, 'test.failure');
  });

  test('fixed delay waits on the clock between attempts', async () => {
    const clock = new VirtualClock(0);
    const times: number[] = [];
    await drive(
      clock,
      retryWithPolicy(
        () => {
          times.push(clock.now());
          return failure();
        },
        { policy: ResultExecutionPolicy.withRetry(RetryPolicy.fixedDelay(3, 50)), clock },
      ),
    );
    assert.deepEqual(times, [0, 50, 100]);
  });

  test('exponential delays grow by the multiplier and respect the cap', async () => {
    const clock = new VirtualClock(0);
    const times: number[] = [];
    const retry = RetryPolicy.exponential(5, 100, { maxDelayMs: 250 });
    await drive(
      clock,
      retryWithPolicy(
        () => {
          times.push(clock.now());
          return failure();
        },
        { policy: ResultExecutionPolicy.withRetry(retry), clock },
      ),
    );
    assert.deepEqual(times, [0, 100, 300, 550, 800]);
  });

  test('exponential delays are deterministic without jitter and use the injected random source with it', () => {
    const state = (attempt: number) => ({ attempt, error: HugoError.from('x'), errors: [], now: 0 });
    const plain = RetryPolicy.exponential(4, 100, { multiplier: 3 });
    assert.deepEqual(plain.evaluate(state(1)), { retry: true, delayMs: 100 });
    assert.deepEqual(plain.evaluate(state(2)), { retry: true, delayMs: 300 });
    assert.deepEqual(plain.evaluate(state(4)), { retry: false });
    const jittered = RetryPolicy.exponential(4, 100, { jitter: 0.5, random: () => 0.5 });
    assert.deepEqual(jittered.evaluate(state(2)), { retry: true, delayMs: 150 });
    assert.throws(() => RetryPolicy.exponential(4, 100, { jitter: 0.5 }), TypeError);
  });

  test('exponential delays never decrease and never exceed the cap', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.double({ min: 1.1, max: 5, noNaN: true }),
        fc.integer({ min: 0, max: 100_000 }),
        (initial, multiplier, cap) => {
          const policy = RetryPolicy.exponential(20, initial, { multiplier, maxDelayMs: cap });
          let previous = 0;
          for (let attempt = 1; attempt < 20; attempt++) {
            const d = policy.evaluate({ attempt, error: HugoError.from('x'), errors: [], now: 0 });
            assert.ok(d.retry && 'delayMs' in d);
            assert.ok(d.delayMs >= previous && d.delayMs <= cap);
            previous = d.delayMs;
          }
        },
      ),
    );
  });

  test('rejects invalid settings', () => {
    assert.throws(() => RetryPolicy.fixedDelay(0, 10), RangeError);
    assert.throws(() => RetryPolicy.fixedDelay(2, -1), RangeError);
    assert.throws(() => RetryPolicy.exponential(2, 10, { multiplier: 1 }), RangeError);
    assert.throws(() => RetryPolicy.exponential(2, 10, { jitter: 2, random: () => 0 }), RangeError);
  });

  test('none makes exactly one attempt', async () => {
    let calls = 0;
    await retryWithPolicy(() => {
      calls++;
      return failure();
    });
    assert.equal(calls, 1);
  });

  test('a cron policy retries at the next occurrence', async () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 1, 0, 0, 30));
    const times: number[] = [];
    await drive(
      clock,
      retryWithPolicy(
        () => {
          times.push(clock.now());
          return failure();
        },
        {
          policy: ResultExecutionPolicy.withRetry(RetryPolicy.cron('*/5 * * * *', { maxAttempts: 3 })),
          clock,
        },
      ),
    );
    assert.deepEqual(times, [
      Date.UTC(2026, 0, 1, 0, 0, 30),
      Date.UTC(2026, 0, 1, 0, 5),
      Date.UTC(2026, 0, 1, 0, 10),
    ]);
  });
});

describe('step executor', () => {
  test('a throw becomes error.exception and is not retried', async () => {
    let calls = 0;
    const { result } = await executeStep(
      () => {
        calls++;
        throw new Error('bug');
      },
      'step',
      ResultExecutionPolicy.withRetry(RetryPolicy.fixedDelay(5, 0)),
    );
    assert.equal(calls, 1);
    assert.equal(result.error?.code, ErrorCodes.Exception);
    assert.equal(result.error?.metadata.get('stepName'), 'step');
  });

  test('a returned cancellation is never retried', async () => {
    let calls = 0;
    const { result } = await executeStep(
      () => {
        calls++;
        return fail(HugoError.canceled());
      },
      'step',
      ResultExecutionPolicy.withRetry(RetryPolicy.fixedDelay(5, 0)),
    );
    assert.equal(calls, 1);
    assert.equal(result.error?.code, ErrorCodes.Canceled);
  });

  test('an AbortError thrown by the operation is a cancellation', async () => {
    const { result } = await executeStep(() => {
      throw new DOMException('x', 'AbortError');
    }, 'step');
    assert.equal(result.error?.code, ErrorCodes.Canceled);
  });

  test('an abort during the retry delay ends the step as canceled', async () => {
    const clock = new VirtualClock(0);
    const controller = new AbortController();
    let calls = 0;
    const running = executeStep(
      () => {
        calls++;
        return failure();
      },
      'step',
      ResultExecutionPolicy.withRetry(RetryPolicy.fixedDelay(3, 1000)),
      clock,
      controller.signal,
    );
    await clock.advance(10);
    controller.abort();
    const { result } = await running;
    assert.equal(calls, 1);
    assert.equal(result.error?.code, ErrorCodes.Canceled);
  });

  test('each attempt gets a fresh compensation scope; failed attempts are dropped', async () => {
    let attempt = 0;
    const { result, compensation } = await executeStep(
      (ctx) => {
        attempt++;
        ctx.registerCompensation(() => {});
        ctx.registerCompensation(attempt, () => {});
        return attempt < 3 ? failure() : ok(attempt);
      },
      'step',
      ResultExecutionPolicy.withRetry(RetryPolicy.fixedDelay(3, 0)),
    );
    assert.deepEqual(result, ok(3));
    assert.equal(compensation.size, 2);
  });

  test('compensations attached to a returned result are absorbed like registered ones', async () => {
    let attempt = 0;
    const { result, compensation } = await executeStep(
      (ctx) => {
        attempt++;
        ctx.registerCompensation(() => {});
        const outcome = attempt < 2 ? failure() : ok(attempt);
        return resultWithCompensation(
          resultWithCompensation(outcome, () => {}),
          attempt,
          () => {},
        );
      },
      'step',
      ResultExecutionPolicy.withRetry(RetryPolicy.fixedDelay(2, 0)),
    );
    // Still equal to the plain result; the failed first attempt's attached actions were dropped with its scope.
    assert.deepEqual(result, ok(2));
    assert.equal(compensation.size, 3);
  });

  test('an attached compensation runs when the pipeline fails later', async () => {
    const log: string[] = [];
    const r = await whenAll<number>([
      () => resultWithCompensation(ok(1), 'undo-attached', (entry) => void log.push(entry)),
      () => failure('later'),
    ]);
    assert.equal(r.error?.message, 'later');
    assert.deepEqual(log, ['undo-attached']);
  });

  test('the context carries step name, clock and signal', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    let seen: [string, unknown, unknown] | undefined;
    await executeStep(
      (ctx, signal) => {
        seen = [ctx.stepName, ctx.clock, signal === ctx.signal];
        return ok(1);
      },
      'named',
      undefined,
      clock,
      controller.signal,
    );
    assert.deepEqual(seen, ['named', clock, true]);
  });
});

describe('compensation policies', () => {
  const scopeWith = (log: string[], ...names: string[]) => {
    const scope = new CompensationScope();
    for (const n of names) scope.register(() => void log.push(n));
    return scope;
  };

  test('sequentialReverse undoes the last registered first', async () => {
    const log: string[] = [];
    await runCompensation(CompensationPolicy.sequentialReverse, scopeWith(log, 'a', 'b', 'c'), undefined);
    assert.deepEqual(log, ['c', 'b', 'a']);
  });

  test('none drops the actions; parallel runs them all', async () => {
    const log: string[] = [];
    const dropped = scopeWith(log, 'a');
    await runCompensation(CompensationPolicy.none, dropped, undefined);
    assert.deepEqual(log, []);
    assert.equal(dropped.hasActions, false);
    await runCompensation(CompensationPolicy.parallel, scopeWith(log, 'x', 'y'), undefined);
    assert.deepEqual([...log].sort(), ['x', 'y']);
  });

  test('a custom policy receives the actions in registration order', async () => {
    const log: string[] = [];
    let count = 0;
    const policy = CompensationPolicy.custom(async (ctx) => {
      count = ctx.actions.length;
      for (const a of ctx.actions) await a(ctx.signal);
    });
    await runCompensation(policy, scopeWith(log, 'a', 'b'), undefined);
    assert.equal(count, 2);
    assert.deepEqual(log, ['a', 'b']);
  });

  test('a throwing compensation is reported as an error, not thrown', async () => {
    const scope = new CompensationScope();
    scope.register(() => {
      throw new Error('undo failed');
    });
    const error = await runCompensation(CompensationPolicy.sequentialReverse, scope, undefined);
    assert.equal(error?.code, ErrorCodes.Exception);
    assert.equal(error?.message, 'undo failed');
  });

  test('the default execution policy compensates in reverse (Odin default), none drops', () => {
    assert.equal(ResultExecutionPolicy.default.compensation, CompensationPolicy.sequentialReverse);
    assert.equal(new ResultExecutionPolicy().compensation, CompensationPolicy.sequentialReverse);
    assert.equal(ResultExecutionPolicy.none.compensation, CompensationPolicy.none);
  });
});

describe('whenAll', () => {
  test('returns values in input order and Ok([]) for no operations', async () => {
    const clock = new VirtualClock();
    const ops: StepOperation<number>[] = [
      async (ctx) => {
        await ctx.clock.sleep(30);
        return ok(1);
      },
      async () => ok(2),
    ];
    assert.deepEqual(await drive(clock, whenAll(ops, { clock })), ok([1, 2]));
    assert.deepEqual(await whenAll([]), ok([]));
  });

  test('wait-all does not abort siblings and compensates successes in reverse on failure', async () => {
    const log: string[] = [];
    let siblingAborted = false;
    const ops: StepOperation<number>[] = [
      (ctx) => {
        ctx.registerCompensation(() => void log.push('undo-0'));
        return ok(0);
      },
      async () => failure('one'),
      async (ctx, signal) => {
        await new Promise((r) => setImmediate(r));
        siblingAborted = signal.aborted;
        ctx.registerCompensation(() => void log.push('undo-2'));
        return ok(2);
      },
    ];
    const r = await whenAll(ops);
    assert.equal(r.error?.message, 'one');
    assert.equal(siblingAborted, false);
    assert.deepEqual(log, ['undo-2', 'undo-0']);
  });

  test('several failures become an aggregate', async () => {
    const r = await whenAll([() => failure('a'), () => failure('b')]);
    assert.equal(r.error?.code, ErrorCodes.Aggregate);
    assert.equal(r.error?.message, 'One or more operations failed.');
    assert.deepEqual(
      aggregatedErrors(r.error!).map((e) => e.message),
      ['a', 'b'],
    );
  });

  test('fail-fast aborts the siblings and reports the first failure', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const ops: StepOperation<number>[] = [
      async (ctx) => {
        ctx.registerCompensation(() => void log.push('undo-fast'));
        return ok(1);
      },
      async (ctx, signal) => {
        await ctx.clock.sleep(1000, signal);
        return ok(2);
      },
      async () => failure('first'),
    ];
    const r = await drive(clock, whenAll(ops, { clock, mode: 'fail-fast' }));
    assert.equal(r.error?.message, 'first');
    assert.ok(clock.now() < Date.UTC(2026, 0, 1) + 1000);
    assert.deepEqual(log, ['undo-fast']);
  });

  test('a compensation error joins the failure', async () => {
    const r = await whenAll([
      (ctx) => {
        ctx.registerCompensation(() => {
          throw new Error('undo');
        });
        return ok(1);
      },
      () => failure('f'),
    ]);
    assert.equal(r.error?.code, ErrorCodes.Aggregate);
    assert.deepEqual(
      aggregatedErrors(r.error!).map((e) => e.message),
      ['f', 'undo'],
    );
  });

  test('a caller abort keeps real failures as whenall.partialFailures', async () => {
    const controller = new AbortController();
    const clock = new VirtualClock();
    const running = whenAll<number>(
      [
        () => failure('real'),
        async (ctx, signal) => {
          await ctx.clock.sleep(100, signal);
          return ok(1);
        },
      ],
      { clock, signal: controller.signal },
    );
    await clock.advance(1);
    controller.abort();
    const r = await running;
    assert.equal(r.error?.code, ErrorCodes.Canceled);
    const partial = r.error?.metadata.get('whenall.partialFailures') as HugoError[];
    assert.deepEqual(
      partial.map((e) => e.message),
      ['real'],
    );
  });

  test('a caller abort where every error is a cancellation gives error.canceled', async () => {
    const controller = new AbortController();
    const clock = new VirtualClock();
    const op: StepOperation<number> = async (ctx, signal) => {
      await ctx.clock.sleep(100, signal);
      return ok(1);
    };
    const running = whenAll([op, op], { clock, signal: controller.signal });
    await clock.advance(1);
    controller.abort();
    const r = await running;
    assert.equal(r.error?.code, ErrorCodes.Canceled);
  });
});

describe('whenAny', () => {
  test('the first success wins and aborts the rest', async () => {
    const clock = new VirtualClock();
    const race = slowAndFast();
    const r = await drive(clock, whenAny([race.slow, race.fast], { clock }));
    assert.deepEqual(r, ok('fast'));
    assert.equal(race.slowAborted(), true);
  });

  test('a later success is compensated; the winner is not', async () => {
    const log: string[] = [];
    const r = await whenAny<string>([
      (ctx) => {
        ctx.registerCompensation(() => void log.push('undo-winner'));
        return ok('first');
      },
      async (ctx) => {
        await Promise.resolve();
        ctx.registerCompensation(() => void log.push('undo-late'));
        return ok('late');
      },
    ]);
    assert.deepEqual(r, ok('first'));
    assert.deepEqual(log, ['undo-late']);
  });

  test('a compensation error of a later success makes the result a failure', async () => {
    const r = await whenAny<string>([
      () => ok('first'),
      async (ctx) => {
        await Promise.resolve();
        ctx.registerCompensation(() => {
          throw new Error('undo broke');
        });
        return ok('late');
      },
    ]);
    assert.equal(r.ok, false);
    assert.equal(r.error?.message, 'undo broke');
  });

  test('no winner: the single error, or an aggregate "All operations failed."', async () => {
    assert.equal((await whenAny([() => failure('only')])).error?.message, 'only');
    const r = await whenAny([() => failure('a'), () => failure('b')]);
    assert.equal(r.error?.code, ErrorCodes.Aggregate);
    assert.equal(r.error?.message, 'All operations failed.');
  });

  test('empty input is a validation error; a pre-aborted signal is canceled', async () => {
    assert.equal((await whenAny([])).error?.code, ErrorCodes.Validation);
    const controller = new AbortController();
    controller.abort();
    assert.equal(
      (await whenAny([() => ok(1)], { signal: controller.signal })).error?.code,
      ErrorCodes.Canceled,
    );
  });
});

describe('retryWithPolicy', () => {
  test('runs the final attempt’s compensation after the last failure', async () => {
    const log: string[] = [];
    let attempt = 0;
    const r = await retryWithPolicy(
      (ctx) => {
        attempt++;
        ctx.registerCompensation(() => void log.push(`undo-${attempt}`));
        return failure();
      },
      { policy: ResultExecutionPolicy.withRetry(RetryPolicy.fixedDelay(2, 0)) },
    );
    assert.equal(r.ok, false);
    assert.deepEqual(log, ['undo-2']);
  });

  test('a compensation error gives an aggregate', async () => {
    const r = await retryWithPolicy((ctx) => {
      ctx.registerCompensation(() => {
        throw new Error('undo');
      });
      return failure('op');
    });
    assert.equal(r.error?.code, ErrorCodes.Aggregate);
    assert.deepEqual(
      aggregatedErrors(r.error!).map((e) => e.message),
      ['op', 'undo'],
    );
  });
});

describe('runWithTimeout', () => {
  test('aborts the operation, waits for it, then reports error.timeout', async () => {
    const clock = new VirtualClock();
    let finished = false;
    const running = runWithTimeout(
      async (signal) => {
        try {
          await clock.sleep(10_000, signal);
          return ok('late');
        } finally {
          finished = true;
        }
      },
      100,
      { clock },
    );
    await clock.advance(100);
    const r = await running;
    assert.equal(finished, true);
    assert.equal(r.error?.code, ErrorCodes.Timeout);
    assert.equal(r.error?.metadata.get('duration'), 100);
  });

  test('returns the result when the operation beats the deadline', async () => {
    const clock = new VirtualClock();
    const running = runWithTimeout(
      async (signal) => {
        await clock.sleep(50, signal);
        return ok('on time');
      },
      100,
      { clock },
    );
    await clock.advance(50);
    assert.deepEqual(await running, ok('on time'));
    assert.equal(clock.pendingTimers, 0);
  });

  test('a caller abort stays a cancellation when the deadline passes while the operation winds down', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const running = runWithTimeout(
      async () => {
        // Ignores its signal and finishes well after the deadline.
        await clock.sleep(500);
        return fail(HugoError.canceled());
      },
      100,
      { clock, signal: controller.signal },
    );
    await clock.advance(10);
    controller.abort();
    await clock.advance(500);
    assert.equal((await running).error?.code, ErrorCodes.Canceled);
  });

  test('the caller’s abort is a cancellation, not a timeout', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const running = runWithTimeout(
      async (signal) => {
        await clock.sleep(1000, signal);
        return ok(1);
      },
      500,
      { clock, signal: controller.signal },
    );
    controller.abort();
    assert.equal((await running).error?.code, ErrorCodes.Canceled);
  });
});

describe('retryOperation (Go.RetryAsync)', () => {
  test('retries failures with exponential backoff from 100 ms', async () => {
    const clock = new VirtualClock(0);
    const seen: [number, number][] = [];
    const r = await drive(
      clock,
      retryOperation(
        (attempt) => {
          seen.push([attempt, clock.now()]);
          return attempt < 3 ? failure() : ok('done');
        },
        { clock },
      ),
    );
    assert.deepEqual(r, ok('done'));
    assert.deepEqual(seen, [
      [1, 0],
      [2, 100],
      [3, 300],
    ]);
  });

  test('does not retry a throw (the consistent Odin rule)', async () => {
    let calls = 0;
    const r = await retryOperation(() => {
      calls++;
      throw new Error('bug');
    });
    assert.equal(calls, 1);
    assert.equal(r.error?.code, ErrorCodes.Exception);
  });
});

describe('saga', () => {
  test('runs steps in order and stores their values by key', async () => {
    const order: string[] = [];
    const r = await createSaga()
      .addStep('reserve', () => {
        order.push('reserve');
        return ok(10);
      })
      .addStep(
        'charge',
        (ctx) => {
          order.push('charge');
          return ok((ctx.state.get<number>('reserve') ?? 0) + 1);
        },
        undefined,
        'payment',
      )
      .execute();
    assert.ok(r.ok);
    assert.deepEqual(order, ['reserve', 'charge']);
    assert.equal(r.value.get('payment'), 11);
  });

  test('a failing step compensates the completed ones in reverse order', async () => {
    const log: string[] = [];
    const r = await createSaga()
      .addStep(
        'a',
        () => ok('A'),
        (v) => void log.push(`undo ${v}`),
      )
      .addStep(
        'b',
        () => ok('B'),
        (v) => void log.push(`undo ${v}`),
      )
      .addStep(
        'c',
        () => failure('c failed'),
        () => void log.push('never'),
      )
      .execute();
    assert.equal(r.error?.message, 'c failed');
    assert.deepEqual(log, ['undo B', 'undo A']);
  });

  test('an empty saga is a validation error; a pre-aborted signal throws', async () => {
    assert.equal((await createSaga().execute()).error?.code, ErrorCodes.Validation);
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await assert.rejects(
      createSaga()
        .addStep('a', () => ok(1))
        .execute({ signal: controller.signal }),
      /stop/,
    );
  });

  test('a compensation error becomes "Saga execution failed."', async () => {
    const r = await createSaga()
      .addStep(
        'a',
        () => ok(1),
        () => {
          throw new Error('undo');
        },
      )
      .addStep('b', () => failure('b'))
      .execute();
    assert.equal(r.error?.message, 'Saga execution failed.');
  });
});

describe('tieredFallback', () => {
  test('falls through failing tiers; the winning strategy’s value is returned', async () => {
    const r = await tieredFallback<string>([
      fallbackTier('primary', () => failure('p0')),
      fallbackTier(
        'secondary',
        () => failure('s0'),
        () => ok('s1'),
      ),
    ]);
    assert.deepEqual(r, ok('s1'));
  });

  test('errors carry fallbackTier, tierIndex and strategyIndex', async () => {
    const r = await tieredFallback<string>([
      fallbackTier('primary', () => failure('p0')),
      fallbackTier(
        'secondary',
        () => failure('s0'),
        () => failure('s1'),
      ),
    ]);
    assert.equal(r.error?.message, 'Fallback pipeline exhausted all tiers.');
    const [primary, secondary] = aggregatedErrors(r.error!);
    assert.equal(primary?.metadata.get('fallbackTier'), 'primary');
    assert.equal(primary?.metadata.get('tierIndex'), 0);
    assert.equal(primary?.metadata.get('strategyIndex'), 0);
    assert.equal(secondary?.message, "Tier 'secondary' exhausted all strategies.");
    const inner = aggregatedErrors(secondary!);
    assert.deepEqual(inner.map((e) => e.metadata.get('strategyIndex')).sort(), [0, 1]);
    assert.ok(inner.every((e) => e.metadata.get('tierIndex') === 1));
  });

  test('strategies in a tier race: the first success aborts the others', async () => {
    const clock = new VirtualClock();
    const race = slowAndFast();
    const r = await drive(clock, tieredFallback([fallbackTier('t', race.slow, race.fast)], { clock }));
    assert.deepEqual(r, ok('fast'));
    assert.equal(race.slowAborted(), true);
  });

  test('no tiers is a validation error', async () => {
    assert.equal((await tieredFallback([])).error?.code, ErrorCodes.Validation);
  });
});

describe('cronNext', () => {
  test('reads minute then hour (unlike Hugo’s toy parser)', () => {
    const from = Date.UTC(2026, 0, 1, 3, 0);
    assert.equal(cronNext('30 2 * * *', from), Date.UTC(2026, 0, 2, 2, 30));
    assert.equal(cronNext('5 4 * * *', from), Date.UTC(2026, 0, 1, 4, 5));
  });

  test('never returns a time at or before the reference', () => {
    const from = Date.UTC(2026, 0, 1, 2, 30);
    const next = cronNext('30 2 * * *', from);
    assert.ok(next !== undefined && next > from);
  });

  test('a daily "m h * * *" is the next instant at h:m strictly after any reference time', () => {
    const day = 86_400_000;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 59 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2030, 0, 1) }),
        (minute, hour, from) => {
          const midnight = from - (from % day);
          const sameDay = midnight + hour * 3_600_000 + minute * 60_000;
          const expected = sameDay > from ? sameDay : sameDay + day;
          assert.equal(cronNext(`${minute} ${hour} * * *`, from), expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('honours a time zone', () => {
    const from = Date.UTC(2026, 0, 1, 0, 0);
    assert.equal(cronNext('0 9 * * *', from, 'Europe/Paris'), Date.UTC(2026, 0, 1, 8, 0));
  });

  test('rejects a malformed expression', () => {
    assert.throws(() => cronNext('not a cron', 0));
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  bind,
  bindAsync,
  castFailure,
  ensure,
  ensureAsync,
  ErrorCodes,
  fail,
  fold,
  fromOptional,
  HugoError,
  isFail,
  isOk,
  map,
  mapAsync,
  match,
  matchAsync,
  ok,
  onFailure,
  recover,
  recoverAsync,
  Result,
  ResultError,
  resultChain,
  resultChainAsync,
  tap,
  tapAsync,
  tapError,
  tapErrorAsync,
  tryAsync,
  tryCatch,
  valueOr,
  valueOrThrow,
} from '../src/result/index.js';

const boom = HugoError.from('boom', 'test.boom');
const abortError = () => new DOMException('aborted', 'AbortError');

describe('Result basics', () => {
  test('ok and fail narrow on the ok flag', () => {
    const r = ok(3);
    assert.ok(isOk(r));
    assert.equal(r.ok && r.value, 3);
    const f = fail<number>(boom);
    assert.ok(isFail(f));
    assert.equal(f.error, boom);
    assert.equal(f.value, undefined);
  });

  test('fail without an error is error.unspecified; a string becomes the message', () => {
    const r = fail();
    assert.equal(!r.ok && r.error.code, ErrorCodes.Unspecified);
    const s = fail('text', 'my.code');
    assert.equal(!s.ok && s.error.toString(), 'my.code: text');
  });

  test('results are frozen', () => {
    assert.ok(Object.isFrozen(ok(1)));
    assert.ok(Object.isFrozen(fail(boom)));
  });

  test('valueOr returns the fallback (or its computation) only on failure', () => {
    assert.equal(valueOr(ok(1), 2), 1);
    assert.equal(valueOr(fail<number>(boom), 2), 2);
    assert.equal(
      valueOr(fail<string>(boom), (e) => e.message),
      'boom',
    );
  });

  test('valueOrThrow throws ResultError carrying the error', () => {
    assert.equal(valueOrThrow(ok('v')), 'v');
    assert.throws(
      () => valueOrThrow(fail(boom)),
      (e: unknown) => e instanceof ResultError && e.error === boom && e.message === 'test.boom: boom',
    );
  });

  test('castFailure passes the same error along and throws on success', () => {
    const f = fail<number>(boom);
    const cast = castFailure<string>(f);
    assert.equal(!cast.ok && cast.error, boom);
    assert.throws(() => castFailure(ok(1)), TypeError);
  });

  test('fromOptional fails on null and undefined only', () => {
    assert.deepEqual(
      fromOptional(0, () => boom),
      ok(0),
    );
    assert.equal(fromOptional(null, () => boom).error, boom);
    assert.equal(fromOptional(undefined, () => boom).error, boom);
  });
});

describe('sync combinators', () => {
  test('bind chains on success and short-circuits on failure', () => {
    assert.deepEqual(
      bind(ok(2), (v) => ok(v * 3)),
      ok(6),
    );
    let called = false;
    const f = bind(fail<number>(boom), (v) => {
      called = true;
      return ok(v);
    });
    assert.equal(f.error, boom);
    assert.equal(called, false);
  });

  test('map transforms values; exceptions from the mapper propagate', () => {
    assert.deepEqual(
      map(ok(2), (v) => `${v}`),
      ok('2'),
    );
    assert.throws(
      () =>
        map(ok(1), () => {
          throw new Error('mapper');
        }),
      /mapper/,
    );
  });

  test('tap and tapError run only on their branch and return the same result', () => {
    const seen: string[] = [];
    const s = ok(1);
    assert.equal(
      tap(s, () => seen.push('tap')),
      s,
    );
    assert.equal(
      tapError(s, () => seen.push('tapError')),
      s,
    );
    const f = fail(boom);
    assert.equal(
      onFailure(f, (e) => seen.push(e.message)),
      f,
    );
    assert.deepEqual(seen, ['tap', 'boom']);
  });

  test('recover replaces failures only', () => {
    assert.deepEqual(
      recover(fail<number>(boom), () => ok(9)),
      ok(9),
    );
    assert.deepEqual(
      recover(ok(1), () => ok(9)),
      ok(1),
    );
  });

  test('ensure fails with the default validation error', () => {
    const r = ensure(ok(1), (v) => v > 5);
    assert.equal(r.error?.code, ErrorCodes.Validation);
    assert.equal(r.error?.message, 'The result did not satisfy the required condition.');
    assert.deepEqual(
      ensure(ok(6), (v) => v > 5),
      ok(6),
    );
    const custom = ensure(
      ok(1),
      () => false,
      (v) => HugoError.from(`bad ${v}`),
    );
    assert.equal(custom.error?.message, 'bad 1');
  });

  test('match and its fold alias pick a branch', () => {
    assert.equal(
      match(
        ok(2),
        (v) => v + 1,
        () => 0,
      ),
      3,
    );
    assert.equal(
      fold(
        fail<number>(boom),
        (v) => v,
        (e) => e.message.length,
      ),
      4,
    );
  });

  test('tryCatch captures throws, uses the factory, and does not catch AbortError', () => {
    assert.deepEqual(
      tryCatch(() => 5),
      ok(5),
    );
    const thrown = tryCatch(() => {
      throw new Error('x');
    });
    assert.equal(thrown.error?.code, ErrorCodes.Exception);
    const viaFactory = tryCatch(
      () => {
        throw new Error('x');
      },
      () => boom,
    );
    assert.equal(viaFactory.error, boom);
    const factoryUndefined = tryCatch(
      () => {
        throw new Error('y');
      },
      () => undefined,
    );
    assert.equal(factoryUndefined.error?.code, ErrorCodes.Exception);
    assert.throws(
      () =>
        tryCatch(() => {
          throw abortError();
        }),
      (e: unknown) => e instanceof DOMException && e.name === 'AbortError',
    );
  });

  test('the Result namespace exposes the same operations, with andThen for bind and try for tryCatch', () => {
    assert.deepEqual(
      Result.andThen(Result.ok(1), (v) => Result.ok(v + 1)),
      ok(2),
    );
    assert.equal(Result.try(() => 1).ok, true);
    assert.equal('then' in Result, false);
  });
});

describe('async combinators', () => {
  test('accept a promise of a result and an async callback', async () => {
    const r = await bindAsync(Promise.resolve(ok(2)), async (v) => ok(v * 2));
    assert.deepEqual(r, ok(4));
    assert.deepEqual(await mapAsync(ok(2), async (v) => v + 1), ok(3));
  });

  test('check the signal first and do not call the callback when already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    let called = false;
    const r = await mapAsync(
      ok(1),
      () => {
        called = true;
        return 1;
      },
      controller.signal,
    );
    assert.equal(r.error?.code, ErrorCodes.Canceled);
    assert.equal(called, false);
  });

  test('an aborted signal short-circuits without leaving the input promise unhandled', async () => {
    const controller = new AbortController();
    controller.abort();
    const rejected = Promise.reject(new Error('input failed'));
    const r = await mapAsync(rejected as Promise<Result<number>>, (v) => v, controller.signal);
    assert.equal(r.error?.code, ErrorCodes.Canceled);
    await new Promise((resolve) => setImmediate(resolve));
  });

  test('turn an AbortError thrown by the callback into error.canceled', async () => {
    const r = await bindAsync(ok(1), async () => {
      throw abortError();
    });
    assert.equal(r.error?.code, ErrorCodes.Canceled);
  });

  test('turn the signal reason thrown by the callback into error.canceled', async () => {
    const controller = new AbortController();
    const r = await tapAsync(
      ok(1),
      async (_v, signal) => {
        controller.abort(new Error('custom reason'));
        signal?.throwIfAborted();
      },
      controller.signal,
    );
    assert.equal(r.error?.code, ErrorCodes.Canceled);
  });

  test('let other exceptions propagate', async () => {
    await assert.rejects(
      mapAsync(ok(1), async () => {
        throw new Error('plain');
      }),
      /plain/,
    );
  });

  test('pass the signal to callbacks', async () => {
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    await tapAsync(ok(1), (_v, s) => void (seen = s), controller.signal);
    assert.equal(seen, controller.signal);
  });

  test('tapErrorAsync, recoverAsync and ensureAsync follow their sync twins', async () => {
    const seen: string[] = [];
    await tapErrorAsync(fail(boom), async (e) => void seen.push(e.message));
    assert.deepEqual(seen, ['boom']);
    assert.deepEqual(await recoverAsync(fail<number>(boom), async () => ok(1)), ok(1));
    const ensured = await ensureAsync(ok(1), async (v) => v > 1);
    assert.equal(ensured.error?.code, ErrorCodes.Validation);
  });

  test('matchAsync routes a cancellation to onError', async () => {
    const controller = new AbortController();
    controller.abort();
    const out = await matchAsync(
      ok(1),
      () => 'ok',
      (e) => e.code,
      controller.signal,
    );
    assert.equal(out, ErrorCodes.Canceled);
    const thrown = await matchAsync(
      ok(1),
      () => {
        throw abortError();
      },
      (e) => e.code,
    );
    assert.equal(thrown, ErrorCodes.Canceled);
  });

  test('tryAsync: success, exception, factory, factory returning undefined, cancellation, pre-aborted', async () => {
    assert.deepEqual(await tryAsync(async () => 3), ok(3));
    const ex = await tryAsync(async () => {
      throw new Error('e');
    });
    assert.equal(ex.error?.code, ErrorCodes.Exception);
    const viaFactory = await tryAsync(
      async () => {
        throw new Error('e');
      },
      () => boom,
    );
    assert.equal(viaFactory.error, boom);
    const undefinedFactory = await tryAsync(
      async () => {
        throw new Error('e');
      },
      () => undefined,
    );
    assert.equal(undefinedFactory.error?.code, ErrorCodes.Exception);
    const canceled = await tryAsync(async () => {
      throw abortError();
    });
    assert.equal(canceled.error?.code, ErrorCodes.Canceled);
    const controller = new AbortController();
    controller.abort();
    let ran = false;
    const pre = await tryAsync(
      async () => {
        ran = true;
      },
      undefined,
      controller.signal,
    );
    assert.equal(pre.error?.code, ErrorCodes.Canceled);
    assert.equal(ran, false);
  });
});

describe('laws', () => {
  const resultArb = fc.oneof(
    fc.integer().map((v) => ok(v)),
    fc.string().map((m) => fail<number>(HugoError.from(m))),
  );

  test('map with identity is identity', () => {
    fc.assert(
      fc.property(resultArb, (r) => {
        const mapped = map(r, (v) => v);
        assert.equal(mapped.ok, r.ok);
        if (mapped.ok && r.ok) assert.equal(mapped.value, r.value);
        else assert.equal(mapped.error, r.error);
      }),
    );
  });

  test('bind with ok is identity, and bind composes like map', () => {
    fc.assert(
      fc.property(resultArb, fc.integer(), (r, k) => {
        assert.deepEqual(bind(r, ok), r);
        assert.deepEqual(
          bind(r, (v) => ok(v + k)),
          map(r, (v) => v + k),
        );
      }),
    );
  });
});

describe('fluent chains', () => {
  test('resultChain composes the sync combinators', () => {
    const out = resultChain(ok(2))
      .map((v) => v * 5)
      .ensure((v) => v > 5)
      .bind((v) => ok(`${v}`))
      .valueOr('none');
    assert.equal(out, '10');
    assert.equal(
      resultChain(fail<number>(boom))
        .map((v) => v + 1)
        .recover(() => ok(0))
        .valueOrThrow(),
      0,
    );
  });

  test('resultChainAsync shares one signal across the steps', async () => {
    const r = await resultChainAsync(Promise.resolve(ok(1)))
      .map(async (v) => v + 1)
      .bind(async (v) => ok(v * 3)).result;
    assert.deepEqual(r, ok(6));
    const controller = new AbortController();
    controller.abort();
    const canceled = await resultChainAsync(ok(1), controller.signal).map((v) => v).result;
    assert.equal(canceled.error?.code, ErrorCodes.Canceled);
  });
});

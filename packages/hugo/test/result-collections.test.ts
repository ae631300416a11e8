import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  collectErrors,
  ErrorCodes,
  errorsOf,
  fail,
  filterStream,
  flatMapStream,
  forEachAsync,
  group,
  HugoError,
  mapStream,
  ok,
  partition,
  type Result,
  sequence,
  sequenceAsync,
  traverse,
  traverseAsync,
  window,
} from '../src/result/index.js';

const err = (m: string) => HugoError.from(m);
const resultArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer().map((v) => ok(v)) },
  { weight: 1, arbitrary: fc.string().map((m) => fail<number>(err(m))) },
);

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

async function* fromArray<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

describe('sequence and traverse', () => {
  test('sequence is Ok(all values) when every result succeeds, else the first failure', () => {
    fc.assert(
      fc.property(fc.array(resultArb), (results) => {
        const firstFailure = results.find((r) => !r.ok);
        const out = sequence(results);
        if (firstFailure) assert.equal(out.error, firstFailure.error);
        else assert.deepEqual(out, ok(results.map((r) => r.value)));
      }),
    );
  });

  test('traverse equals sequence of the mapped results and stops calling at the first failure', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), (items) => {
        const selector = (v: number) => (v % 7 === 0 ? fail<number>(err(`bad ${v}`)) : ok(v * 2));
        let calls = 0;
        const traversed = traverse(items, (v) => {
          calls++;
          return selector(v);
        });
        const sequenced = sequence(items.map(selector));
        assert.equal(traversed.ok, sequenced.ok);
        if (traversed.ok && sequenced.ok) assert.deepEqual(traversed.value, sequenced.value);
        else assert.equal(traversed.error?.message, sequenced.error?.message);
        const failAt = items.findIndex((v) => v % 7 === 0);
        assert.equal(calls, failAt === -1 ? items.length : failAt + 1);
      }),
    );
  });

  test('traverseAsync works over async iterables, stops at failure, and maps abort to canceled', async () => {
    assert.deepEqual(await traverseAsync(fromArray([1, 2]), async (v) => ok(v + 1)), ok([2, 3]));
    const seen: number[] = [];
    const r = await traverseAsync([1, 2, 3], (v) => {
      seen.push(v);
      return v === 2 ? fail<number>(err('two')) : ok(v);
    });
    assert.equal(r.error?.message, 'two');
    assert.deepEqual(seen, [1, 2]);
    const controller = new AbortController();
    const canceled = await traverseAsync(
      [1, 2, 3],
      (v) => {
        if (v === 1) controller.abort();
        return ok(v);
      },
      controller.signal,
    );
    assert.equal(canceled.error?.code, ErrorCodes.Canceled);
    const thrown = await traverseAsync([1], () => {
      throw new Error('selector bug');
    });
    assert.equal(thrown.error?.code, ErrorCodes.Exception);
  });

  test('sequenceAsync reads a stream of results', async () => {
    assert.deepEqual(await sequenceAsync(fromArray([ok(1), ok(2)])), ok([1, 2]));
    assert.equal((await sequenceAsync(fromArray([ok(1), fail<number>(err('x'))]))).error?.message, 'x');
  });
});

describe('group, partition, window', () => {
  test('partition keeps every value exactly once, split by the predicate', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), (values) => {
        const r = partition(
          values.map((v) => ok(v)),
          (v) => v >= 0,
        );
        assert.ok(r.ok);
        const [matching, rest] = r.value;
        assert.ok(matching.every((v) => v >= 0));
        assert.ok(rest.every((v) => v < 0));
        assert.deepEqual(
          [...matching, ...rest].sort((a, b) => a - b),
          [...values].sort((a, b) => a - b),
        );
      }),
    );
  });

  test('group collects by key in first-seen order', () => {
    const r = group([ok('apple'), ok('avocado'), ok('banana')], (s) => s[0]);
    assert.ok(r.ok);
    assert.deepEqual(
      [...r.value.entries()],
      [
        ['a', ['apple', 'avocado']],
        ['b', ['banana']],
      ],
    );
  });

  test('window chunks values; concatenating the windows gives the values back', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer({ min: 1, max: 6 }), (values, size) => {
        const r = window(
          values.map((v) => ok(v)),
          size,
        );
        assert.ok(r.ok);
        assert.deepEqual(r.value.flat(), values);
        assert.ok(r.value.slice(0, -1).every((w) => w.length === size));
      }),
    );
    assert.throws(() => window([], 0), RangeError);
  });

  test('group, partition and window stop at the first failure', () => {
    const input: Result<number>[] = [ok(1), fail(err('first')), fail(err('second'))];
    assert.equal(group(input, (v) => v).error?.message, 'first');
    assert.equal(partition(input, () => true).error?.message, 'first');
    assert.equal(window(input, 2).error?.message, 'first');
    assert.deepEqual(
      errorsOf(input).map((e) => e.message),
      ['first', 'second'],
    );
  });
});

describe('streams', () => {
  test('mapStream yields mapped results and stops after the first failure', async () => {
    const out = await collect(
      mapStream(fromArray([1, 2, 3, 4]), (v) => (v === 3 ? fail<number>(err('three')) : ok(v * 10))),
    );
    assert.deepEqual(out.slice(0, 2), [ok(10), ok(20)]);
    assert.equal(out.length, 3);
    assert.equal(out[2]?.error?.message, 'three');
  });

  test('mapStream turns a source throw into error.exception and an abort into error.canceled', async () => {
    async function* broken() {
      yield 1;
      throw new Error('source broke');
    }
    const out = await collect(mapStream(broken(), (v) => ok(v)));
    assert.equal(out.length, 2);
    assert.equal(out[1]?.error?.code, ErrorCodes.Exception);

    const controller = new AbortController();
    const aborted = await collect(
      mapStream(
        [1, 2, 3],
        (v) => {
          if (v === 1) controller.abort();
          return ok(v);
        },
        controller.signal,
      ),
    );
    assert.deepEqual(aborted[0], ok(1));
    assert.equal(aborted[1]?.error?.code, ErrorCodes.Canceled);
    assert.equal(aborted.length, 2);
  });

  test('flatMapStream flattens in order and stops at a failure', async () => {
    const out = await collect(
      flatMapStream([1, 2, 3], (v) =>
        v === 2 ? [ok(20), fail<number>(err('inner')), ok(21)] : [ok(v), ok(v)],
      ),
    );
    assert.deepEqual(out.slice(0, 3), [ok(1), ok(1), ok(20)]);
    assert.equal(out[3]?.error?.message, 'inner');
    assert.equal(out.length, 4);
  });

  test('filterStream drops unmatched successes and keeps failures', async () => {
    const out = await collect(
      filterStream(fromArray([ok(1), ok(2), fail<number>(err('f')), ok(4)]), (v) => v % 2 === 0),
    );
    assert.equal(out.length, 3);
    assert.deepEqual(out[0], ok(2));
    assert.equal(out[1]?.error?.message, 'f');
  });

  test('forEachAsync visits results until the action fails', async () => {
    const seen: number[] = [];
    const r = await forEachAsync(fromArray([ok(1), ok(2), ok(3)]), (res) => {
      if (res.ok) seen.push(res.value);
      return res.ok && res.value === 2 ? fail(err('stop')) : ok();
    });
    assert.equal(r.error?.message, 'stop');
    assert.deepEqual(seen, [1, 2]);
    assert.deepEqual(await forEachAsync([ok(1)], () => undefined), ok());
  });

  test('collectErrors gathers every value, or every failure', async () => {
    assert.deepEqual(await collectErrors(fromArray([ok(1), ok(2)])), ok([1, 2]));
    assert.equal((await collectErrors([ok(1), fail<number>(err('only'))])).error?.message, 'only');
    const many = await collectErrors([fail<number>(err('a')), ok(1), fail<number>(err('b'))]);
    assert.equal(many.error?.code, ErrorCodes.Aggregate);
  });
});

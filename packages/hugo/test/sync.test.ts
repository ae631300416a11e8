import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeferStack, defer, deferAsync, run } from '../src/sync/go.js';
import { Once } from '../src/sync/once.js';
import { Pool } from '../src/sync/pool.js';

describe('run', () => {
  test('calls the function and returns its outcome', async () => {
    assert.equal(await run(() => 42), 42);
    assert.equal(await run(async () => 'async'), 'async');
  });

  test('an already-aborted signal rejects without running the function', async () => {
    let ran = false;
    const controller = new AbortController();
    controller.abort(new Error('cancelled early'));
    await assert.rejects(
      run(() => {
        ran = true;
      }, controller.signal),
      /cancelled early/,
    );
    assert.equal(ran, false);
  });

  test('a synchronous throw becomes a rejection', async () => {
    await assert.rejects(
      run(() => {
        throw new Error('sync');
      }),
      /sync/,
    );
  });

  test('passes the signal to the function', async () => {
    const controller = new AbortController();
    assert.equal(await run((s) => s, controller.signal), controller.signal);
  });
});

describe('defer', () => {
  test('deferred actions run last-in first-out when the scope ends', () => {
    const order: string[] = [];
    {
      using _a = defer(() => order.push('first registered'));
      using _b = defer(() => order.push('second registered'));
      order.push('body');
    }
    assert.deepEqual(order, ['body', 'second registered', 'first registered']);
  });

  test('deferred actions run when the scope throws', () => {
    const order: string[] = [];
    assert.throws(() => {
      using _ = defer(() => order.push('cleanup'));
      throw new Error('body failed');
    }, /body failed/);
    assert.deepEqual(order, ['cleanup']);
  });

  test('deferAsync works with await using', async () => {
    const order: string[] = [];
    {
      await using _ = deferAsync(async () => {
        order.push('async cleanup');
      });
      order.push('body');
    }
    assert.deepEqual(order, ['body', 'async cleanup']);
  });

  test('DeferStack runs every action in reverse and rethrows the first failure', () => {
    const order: number[] = [];
    const stack = new DeferStack();
    stack.defer(() => order.push(1));
    stack.defer(() => {
      throw new Error('second failed');
    });
    stack.defer(() => order.push(3));
    assert.throws(() => stack.dispose(), /second failed/);
    assert.deepEqual(order, [3, 1]);
    assert.equal(stack.disposed, true);
    assert.throws(() => stack.defer(() => {}), ReferenceError);
  });

  test('DeferStack aggregates several failures and supports use and move', () => {
    const stack = new DeferStack();
    let disposed = 0;
    stack.use({ [Symbol.dispose]: () => disposed++ });
    const moved = stack.move();
    stack.dispose();
    assert.equal(disposed, 0);
    moved.dispose();
    assert.equal(disposed, 1);
    const failing = new DeferStack();
    failing.defer(() => {
      throw new Error('a');
    });
    failing.defer(() => {
      throw new Error('b');
    });
    assert.throws(() => failing.dispose(), AggregateError);
  });
});

describe('Once', () => {
  test('runs the action once', () => {
    const once = new Once();
    let count = 0;
    once.do(() => count++);
    once.do(() => count++);
    assert.equal(count, 1);
    assert.equal(once.done, true);
  });

  test('is marked done even when the action throws', () => {
    const once = new Once();
    assert.throws(() =>
      once.do(() => {
        throw new Error('init failed');
      }),
    );
    let ran = false;
    once.do(() => {
      ran = true;
    });
    assert.equal(ran, false);
    assert.equal(once.done, true);
  });
});

describe('Pool', () => {
  test('an empty pool without a create function throws', () => {
    assert.throws(() => new Pool<object>().get(), /empty/);
  });

  test('creates when empty and reuses returned items', () => {
    let created = 0;
    const pool = new Pool<{ id: number }>({ create: () => ({ id: ++created }) });
    const a = pool.get();
    pool.put(a);
    assert.equal(pool.get(), a);
    assert.equal(created, 1);
  });

  test('put beyond the capacity drops the item', () => {
    const pool = new Pool<number[]>({ maxCapacity: 1 });
    assert.equal(pool.put([1]), true);
    assert.equal(pool.put([2]), false);
    assert.equal(pool.size, 1);
    assert.throws(() => new Pool({ maxCapacity: -1 }), RangeError);
  });
});

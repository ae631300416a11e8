import * as c from './combinators.js';
import type { HugoError } from './error.js';
import type { Awaitable, Result, ResultLike } from './result.js';

/** A fluent wrapper over the sync combinators: `resultChain(r).map(f).bind(g).result`. */
export class ResultChain<T> {
  constructor(readonly result: Result<T>) {}

  bind<U>(next: (value: T) => Result<U>): ResultChain<U> {
    return new ResultChain(c.bind(this.result, next));
  }

  map<U>(mapper: (value: T) => U): ResultChain<U> {
    return new ResultChain(c.map(this.result, mapper));
  }

  tap(action: (value: T) => void): ResultChain<T> {
    return new ResultChain(c.tap(this.result, action));
  }

  tapError(action: (error: HugoError) => void): ResultChain<T> {
    return new ResultChain(c.tapError(this.result, action));
  }

  recover(recovery: (error: HugoError) => Result<T>): ResultChain<T> {
    return new ResultChain(c.recover(this.result, recovery));
  }

  ensure(predicate: (value: T) => boolean, errorFactory?: (value: T) => HugoError): ResultChain<T> {
    return new ResultChain(c.ensure(this.result, predicate, errorFactory));
  }

  match<R>(onOk: (value: T) => R, onError: (error: HugoError) => R): R {
    return c.match(this.result, onOk, onError);
  }

  valueOr(fallback: T | ((error: HugoError) => T)): T {
    return c.valueOr(this.result, fallback);
  }

  valueOrThrow(): T {
    return c.valueOrThrow(this.result);
  }
}

/**
 * A fluent wrapper over the async combinators, sharing one signal: `await resultChainAsync(p, signal).map(f).result`.
 */
export class AsyncResultChain<T> {
  readonly result: Promise<Result<T>>;

  constructor(
    result: ResultLike<T>,
    private readonly signal?: AbortSignal,
  ) {
    this.result = Promise.resolve(result);
  }

  private next<U>(result: Promise<Result<U>>): AsyncResultChain<U> {
    return new AsyncResultChain(result, this.signal);
  }

  bind<U>(next: (value: T, signal: AbortSignal | undefined) => Awaitable<Result<U>>): AsyncResultChain<U> {
    return this.next(c.bindAsync(this.result, next, this.signal));
  }

  map<U>(mapper: (value: T, signal: AbortSignal | undefined) => Awaitable<U>): AsyncResultChain<U> {
    return this.next(c.mapAsync(this.result, mapper, this.signal));
  }

  tap(action: (value: T, signal: AbortSignal | undefined) => Awaitable<void>): AsyncResultChain<T> {
    return this.next(c.tapAsync(this.result, action, this.signal));
  }

  tapError(
    action: (error: HugoError, signal: AbortSignal | undefined) => Awaitable<void>,
  ): AsyncResultChain<T> {
    return this.next(c.tapErrorAsync(this.result, action, this.signal));
  }

  recover(
    recovery: (error: HugoError, signal: AbortSignal | undefined) => Awaitable<Result<T>>,
  ): AsyncResultChain<T> {
    return this.next(c.recoverAsync(this.result, recovery, this.signal));
  }

  ensure(
    predicate: (value: T, signal: AbortSignal | undefined) => Awaitable<boolean>,
    errorFactory?: (value: T) => HugoError,
  ): AsyncResultChain<T> {
    return this.next(c.ensureAsync(this.result, predicate, errorFactory, this.signal));
  }

  match<R>(
    onOk: (value: T, signal: AbortSignal | undefined) => Awaitable<R>,
    onError: (error: HugoError, signal: AbortSignal | undefined) => Awaitable<R>,
  ): Promise<R> {
    return c.matchAsync(this.result, onOk, onError, this.signal);
  }
}

export function resultChain<T>(result: Result<T>): ResultChain<T> {
  return new ResultChain(result);
}

export function resultChainAsync<T>(result: ResultLike<T>, signal?: AbortSignal): AsyncResultChain<T> {
  return new AsyncResultChain(result, signal);
}

import { isCancellation } from './cancellation.js';
import { HugoError } from './error.js';
import { type Awaitable, fail, ok, type Result } from './result.js';

/*
 * Collection and stream helpers. All of them stop at the first failure, except `collectErrors`, whose job is to
 * gather every failure.
 */

/** All values in order, or the first failure. */
export function sequence<T>(results: Iterable<Result<T>>): Result<T[]> {
  const values: T[] = [];
  for (const r of results) {
    if (!r.ok) return r;
    values.push(r.value);
  }
  return ok(values);
}

/** `selector` over every item, then `sequence`, stopping at the first failure without calling further. */
export function traverse<T, U>(
  items: Iterable<T>,
  selector: (item: T, index: number) => Result<U>,
): Result<U[]> {
  const values: U[] = [];
  let index = 0;
  for (const item of items) {
    const r = selector(item, index++);
    if (!r.ok) return r;
    values.push(r.value);
  }
  return ok(values);
}

function canceled<T>(signal: AbortSignal | undefined): Result<T> {
  return fail<T>(HugoError.canceled(undefined, signal));
}

/**
 * Sequential async traverse over an iterable or async iterable. Cancellation → `error.canceled`; a throw from
 * the source or selector → `error.exception` (Hugo's async traverse catches both).
 */
export async function traverseAsync<T, U>(
  items: Iterable<T> | AsyncIterable<T>,
  selector: (item: T, signal: AbortSignal | undefined) => Awaitable<Result<U>>,
  signal?: AbortSignal,
): Promise<Result<U[]>> {
  const values: U[] = [];
  try {
    for await (const item of items) {
      if (signal?.aborted) return canceled(signal);
      const r = await selector(item, signal);
      if (!r.ok) return r;
      values.push(r.value);
    }
    if (signal?.aborted) return canceled(signal);
    return ok(values);
  } catch (error) {
    if (isCancellation(error, signal)) return canceled(signal);
    return fail(HugoError.fromException(error));
  }
}

/** `sequence` over an async stream of results. */
export function sequenceAsync<T>(
  results: AsyncIterable<Result<T>>,
  signal?: AbortSignal,
): Promise<Result<T[]>> {
  return traverseAsync(results, (r) => r, signal);
}

/** Values grouped by key, in first-seen key order, or the first failure. */
export function group<T, K>(results: Iterable<Result<T>>, keyOf: (value: T) => K): Result<Map<K, T[]>> {
  const groups = new Map<K, T[]>();
  for (const r of results) {
    if (!r.ok) return r;
    const key = keyOf(r.value);
    const bucket = groups.get(key);
    if (bucket) bucket.push(r.value);
    else groups.set(key, [r.value]);
  }
  return ok(groups);
}

/** Values split by `predicate` into `[matching, rest]`, or the first failure. */
export function partition<T>(
  results: Iterable<Result<T>>,
  predicate: (value: T) => boolean,
): Result<[T[], T[]]> {
  const matching: T[] = [];
  const rest: T[] = [];
  for (const r of results) {
    if (!r.ok) return r;
    (predicate(r.value) ? matching : rest).push(r.value);
  }
  return ok([matching, rest]);
}

/** Values in consecutive windows of `size` (the last may be shorter), or the first failure. */
export function window<T>(results: Iterable<Result<T>>, size: number): Result<T[][]> {
  if (!Number.isInteger(size) || size <= 0) throw new RangeError('Window size must be a positive integer.');
  const windows: T[][] = [];
  let current: T[] = [];
  for (const r of results) {
    if (!r.ok) return r;
    current.push(r.value);
    if (current.length === size) {
      windows.push(current);
      current = [];
    }
  }
  if (current.length > 0) windows.push(current);
  return ok(windows);
}

/** Every failure of a collection, in order (an empty list when all succeeded). */
export function errorsOf(results: Iterable<Result<unknown>>): HugoError[] {
  const errors: HugoError[] = [];
  for (const r of results) if (!r.ok) errors.push(r.error);
  return errors;
}

// ---------- streams ----------

/**
 * Maps each item of `source` through `selector` and yields the results; the first failure is yielded and ends
 * the stream. Cancellation yields `error.canceled` and ends it; a throw from the source yields `error.exception`.
 */
export async function* mapStream<T, U>(
  source: AsyncIterable<T> | Iterable<T>,
  selector: (item: T, signal: AbortSignal | undefined) => Awaitable<Result<U>>,
  signal?: AbortSignal,
): AsyncGenerator<Result<U>, void, undefined> {
  for await (const r of guardedStream(source, signal)) {
    if (!r.ok) {
      yield r;
      return;
    }
    let mapped: Result<U>;
    try {
      mapped = await selector(r.value, signal);
    } catch (error) {
      mapped = isCancellation(error, signal) ? canceled(signal) : fail(HugoError.fromException(error));
    }
    yield mapped;
    if (!mapped.ok) return;
  }
}

/** Like `mapStream`, but each item expands into a stream of results, flattened in order. */
export async function* flatMapStream<T, U>(
  source: AsyncIterable<T> | Iterable<T>,
  selector: (item: T, signal: AbortSignal | undefined) => AsyncIterable<Result<U>> | Iterable<Result<U>>,
  signal?: AbortSignal,
): AsyncGenerator<Result<U>, void, undefined> {
  for await (const r of guardedStream(source, signal)) {
    if (!r.ok) {
      yield r;
      return;
    }
    for await (const inner of guardedStream(selector(r.value, signal), signal)) {
      const flat = inner.ok ? inner.value : inner;
      yield flat;
      if (!flat.ok) return;
    }
  }
}

/** Drops successes that fail `predicate`; failures pass through untouched. */
export async function* filterStream<T>(
  source: AsyncIterable<Result<T>> | Iterable<Result<T>>,
  predicate: (value: T) => boolean,
): AsyncGenerator<Result<T>, void, undefined> {
  for await (const r of source) if (!r.ok || predicate(r.value)) yield r;
}

/**
 * Calls `action` for every result of the stream, stopping at the first failure `action` returns (which becomes the
 * outcome). Cancellation → `error.canceled`; a throw → `error.exception`.
 */
export async function forEachAsync<T>(
  source: AsyncIterable<Result<T>> | Iterable<Result<T>>,
  action: (result: Result<T>, signal: AbortSignal | undefined) => Awaitable<Result<void> | undefined>,
  signal?: AbortSignal,
): Promise<Result<void>> {
  try {
    for await (const r of source) {
      if (signal?.aborted) return canceled(signal);
      const outcome = await action(r, signal);
      if (outcome && !outcome.ok) return outcome;
    }
    return signal?.aborted ? canceled(signal) : ok();
  } catch (error) {
    if (isCancellation(error, signal)) return canceled(signal);
    return fail(HugoError.fromException(error));
  }
}

/**
 * Reads the whole stream: every value when all succeeded, else one failure (the error itself when there was one,
 * an aggregate "One or more results failed." when there were several).
 */
export async function collectErrors<T>(
  source: AsyncIterable<Result<T>> | Iterable<Result<T>>,
  signal?: AbortSignal,
): Promise<Result<T[]>> {
  const values: T[] = [];
  const errors: HugoError[] = [];
  try {
    for await (const r of source) {
      if (signal?.aborted) return canceled(signal);
      if (r.ok) values.push(r.value);
      else errors.push(r.error);
    }
  } catch (error) {
    if (isCancellation(error, signal)) return canceled(signal);
    errors.push(HugoError.fromException(error));
  }
  if (errors.length === 0) return ok(values);
  if (errors.length === 1) return fail(errors[0]);
  return fail(HugoError.aggregate('One or more results failed.', ...errors));
}

/** Wraps a source's items as results, turning abort and source throws into a final failure. */
async function* guardedStream<T>(
  source: AsyncIterable<T> | Iterable<T>,
  signal: AbortSignal | undefined,
): AsyncGenerator<Result<T>, void, undefined> {
  if (signal?.aborted) {
    yield canceled(signal);
    return;
  }
  const iterator =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<T>)[Symbol.asyncIterator]()
      : (source as Iterable<T>)[Symbol.iterator]();
  try {
    for (;;) {
      let step: IteratorResult<T>;
      try {
        step = await iterator.next();
      } catch (error) {
        yield isCancellation(error, signal) ? canceled(signal) : fail(HugoError.fromException(error));
        return;
      }
      if (step.done) return;
      if (signal?.aborted) {
        yield canceled(signal);
        return;
      }
      // Internal wrapping, not a result the caller created: kept out of result metrics.
      yield Object.freeze({ ok: true as const, value: step.value });
    }
  } finally {
    await iterator.return?.();
  }
}

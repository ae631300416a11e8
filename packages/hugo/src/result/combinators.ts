import { isCancellation } from './cancellation.js';
import { HugoError } from './error.js';
import { type Awaitable, type Fail, fail, ok, type Result, type ResultLike, ResultError } from './result.js';

/*
 * Result combinators, one function per Hugo operator. Sync forms take a Result and plain callbacks; exceptions
 * thrown by callbacks propagate (as in Hugo). Async forms (`*Async`) take `Result | Promise<Result>`, callbacks
 * `(value, signal) => R | Promise<R>` and an optional AbortSignal: the signal is checked first, a cancellation
 * (AbortError or the signal's reason) becomes `error.canceled`, any other exception propagates.
 */

// ---------- value access ----------

/** The value, or `fallback` (a value or a function of the error) on failure. */
export function valueOr<T>(result: Result<T>, fallback: T | ((error: HugoError) => T)): T {
  if (result.ok) return result.value;
  return typeof fallback === 'function' ? (fallback as (error: HugoError) => T)(result.error) : fallback;
}

/** The value, or throws `ResultError` carrying the error. */
export function valueOrThrow<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new ResultError(result.error);
}

/** Re-types a failure; calling it on a success is a bug and throws. Not counted as a new failure. */
export function castFailure<U>(result: Result<unknown>): Result<U> {
  if (result.ok) throw new TypeError('Cannot cast a successful result to a failure.');
  return result as Fail;
}

/** `Ok(value)` unless it is `null`/`undefined`, then the factory's error. */
export function fromOptional<T>(value: T | null | undefined, errorFactory: () => HugoError): Result<T> {
  return value === null || value === undefined ? fail<T>(errorFactory()) : ok(value);
}

// ---------- sync operators ----------

export function bind<T, U>(result: Result<T>, next: (value: T) => Result<U>): Result<U> {
  return result.ok ? next(result.value) : result;
}

export function map<T, U>(result: Result<T>, mapper: (value: T) => U): Result<U> {
  return result.ok ? ok(mapper(result.value)) : result;
}

/** Runs `action` on success and returns the same result. Hugo's `Tap` / `Tee` / `OnSuccess`. */
export function tap<T>(result: Result<T>, action: (value: T) => void): Result<T> {
  if (result.ok) action(result.value);
  return result;
}

/** Runs `action` on failure and returns the same result. Hugo's `TapError` / `OnFailure`. */
export function tapError<T>(result: Result<T>, action: (error: HugoError) => void): Result<T> {
  if (!result.ok) action(result.error);
  return result;
}

export function recover<T>(result: Result<T>, recovery: (error: HugoError) => Result<T>): Result<T> {
  return result.ok ? result : recovery(result.error);
}

export const EnsureDefaultMessage = 'The result did not satisfy the required condition.';

function ensureFailure<T>(value: T, errorFactory?: (value: T) => HugoError): Result<T> {
  return fail<T>(errorFactory ? errorFactory(value) : HugoError.validation(EnsureDefaultMessage));
}

/** Keeps a success only when `predicate` holds; otherwise `error.validation` (or the factory's error). */
export function ensure<T>(
  result: Result<T>,
  predicate: (value: T) => boolean,
  errorFactory?: (value: T) => HugoError,
): Result<T> {
  if (!result.ok || predicate(result.value)) return result;
  return ensureFailure(result.value, errorFactory);
}

/** Folds a result into one value. Hugo's `Match` and its `Finally` (a fold, not a cleanup hook). */
export function match<T, R>(result: Result<T>, onOk: (value: T) => R, onError: (error: HugoError) => R): R {
  return result.ok ? onOk(result.value) : onError(result.error);
}

/**
 * Runs `fn` and turns a throw into a failure (`errorFactory`'s error, or `error.exception` when it returns
 * undefined). Cancellations (AbortError) are NOT caught, like Hugo does not catch OperationCanceledException.
 */
export function tryCatch<T>(
  fn: () => T,
  errorFactory?: (error: unknown) => HugoError | undefined,
): Result<T> {
  try {
    return ok(fn());
  } catch (error) {
    if (isCancellation(error)) throw error;
    return fail<T>(errorFactory?.(error) ?? HugoError.fromException(error));
  }
}

// ---------- async operators ----------

/** An input we no longer await must not surface later as an unhandled rejection. */
function ignoreRejection(input: ResultLike<unknown>): void {
  if (typeof (input as PromiseLike<unknown>).then === 'function') {
    Promise.resolve(input).catch(() => {});
  }
}

function canceledBy(signal: AbortSignal | undefined): Fail {
  return fail(HugoError.canceled(undefined, signal)) as Fail;
}

/**
 * Awaits `work`, mapping a cancellation (AbortError, or the reason of `signal`) to `error.canceled`.
 * Everything else propagates.
 */
async function guard<T>(
  signal: AbortSignal | undefined,
  input: ResultLike<unknown>,
  work: () => Awaitable<Result<T>>,
): Promise<Result<T>> {
  if (signal?.aborted) {
    ignoreRejection(input);
    return canceledBy(signal);
  }
  try {
    return await work();
  } catch (error) {
    if (isCancellation(error, signal)) return canceledBy(signal);
    throw error;
  }
}

/**
 * Runs an async operation and captures its outcome: a throw → the factory's error (or `error.exception`),
 * a cancellation → `error.canceled`. The signal is checked before the operation starts.
 */
export async function tryAsync<T>(
  operation: (signal: AbortSignal | undefined) => Awaitable<T>,
  errorFactory?: (error: unknown) => HugoError | undefined,
  signal?: AbortSignal,
): Promise<Result<T>> {
  if (signal?.aborted) return canceledBy(signal);
  try {
    return ok(await operation(signal));
  } catch (error) {
    if (isCancellation(error, signal)) return canceledBy(signal);
    return fail<T>(errorFactory?.(error) ?? HugoError.fromException(error));
  }
}

export function bindAsync<T, U>(
  result: ResultLike<T>,
  next: (value: T, signal: AbortSignal | undefined) => Awaitable<Result<U>>,
  signal?: AbortSignal,
): Promise<Result<U>> {
  return guard(signal, result, async () => {
    const r = await result;
    return r.ok ? next(r.value, signal) : r;
  });
}

export function mapAsync<T, U>(
  result: ResultLike<T>,
  mapper: (value: T, signal: AbortSignal | undefined) => Awaitable<U>,
  signal?: AbortSignal,
): Promise<Result<U>> {
  return guard(signal, result, async () => {
    const r = await result;
    return r.ok ? ok(await mapper(r.value, signal)) : r;
  });
}

export function tapAsync<T>(
  result: ResultLike<T>,
  action: (value: T, signal: AbortSignal | undefined) => Awaitable<void>,
  signal?: AbortSignal,
): Promise<Result<T>> {
  return guard(signal, result, async () => {
    const r = await result;
    if (r.ok) await action(r.value, signal);
    return r;
  });
}

export function tapErrorAsync<T>(
  result: ResultLike<T>,
  action: (error: HugoError, signal: AbortSignal | undefined) => Awaitable<void>,
  signal?: AbortSignal,
): Promise<Result<T>> {
  return guard(signal, result, async () => {
    const r = await result;
    if (!r.ok) await action(r.error, signal);
    return r;
  });
}

export function recoverAsync<T>(
  result: ResultLike<T>,
  recovery: (error: HugoError, signal: AbortSignal | undefined) => Awaitable<Result<T>>,
  signal?: AbortSignal,
): Promise<Result<T>> {
  return guard(signal, result, async () => {
    const r = await result;
    return r.ok ? r : recovery(r.error, signal);
  });
}

export function ensureAsync<T>(
  result: ResultLike<T>,
  predicate: (value: T, signal: AbortSignal | undefined) => Awaitable<boolean>,
  errorFactory?: (value: T) => HugoError,
  signal?: AbortSignal,
): Promise<Result<T>> {
  return guard(signal, result, async () => {
    const r = await result;
    if (!r.ok || (await predicate(r.value, signal))) return r;
    return ensureFailure(r.value, errorFactory);
  });
}

/** Async fold. A cancellation (or a pre-aborted signal) reaches `onError` as `error.canceled`. */
export async function matchAsync<T, R>(
  result: ResultLike<T>,
  onOk: (value: T, signal: AbortSignal | undefined) => Awaitable<R>,
  onError: (error: HugoError, signal: AbortSignal | undefined) => Awaitable<R>,
  signal?: AbortSignal,
): Promise<R> {
  if (signal?.aborted) {
    ignoreRejection(result);
    return onError(HugoError.canceled(undefined, signal), signal);
  }
  let r: Result<T>;
  try {
    r = await result;
  } catch (error) {
    if (isCancellation(error, signal)) return onError(HugoError.canceled(undefined, signal), signal);
    throw error;
  }
  if (!r.ok) return onError(r.error, signal);
  try {
    return await onOk(r.value, signal);
  } catch (error) {
    if (isCancellation(error, signal)) return onError(HugoError.canceled(undefined, signal), signal);
    throw error;
  }
}

/** Hugo names. */
export const tee = tap;
export const onSuccess = tap;
export const onFailure = tapError;
export const fold = match;
export const teeAsync = tapAsync;
export const onSuccessAsync = tapAsync;
export const onFailureAsync = tapErrorAsync;
export const foldAsync = matchAsync;

import { recordResultCreated } from '../diagnostics.js';
import { HugoError } from './error.js';

/** A success. `error` is declared (always undefined) so `r.error` reads without narrowing. */
export interface Ok<T> {
  readonly ok: true;
  readonly value: T;
  readonly error?: undefined;
}

/** A failure. It carries no value type, so one failure is a `Result<U>` for every `U`. */
export interface Fail {
  readonly ok: false;
  readonly error: HugoError;
  readonly value?: undefined;
}

/** Hugo's `Result<T>` as a discriminated union: narrow with `r.ok`. */
export type Result<T> = Ok<T> | Fail;

/** A result, or a promise of one: every async combinator accepts both. */
export type ResultLike<T> = Result<T> | PromiseLike<Result<T>>;

/** A value or a promise of it. */
export type Awaitable<T> = T | PromiseLike<T>;

/** What `ResultError` is thrown for: `valueOrThrow` on a failure. */
export class ResultError extends Error {
  readonly error: HugoError;

  constructor(error: HugoError) {
    super(error.toString(), error.cause === undefined ? undefined : { cause: error.cause });
    this.name = 'ResultError';
    this.error = error;
  }
}

export function ok(): Result<void>;
export function ok<T>(value: T): Result<T>;
export function ok<T>(value?: T): Result<T | undefined> {
  recordResultCreated(true);
  return Object.freeze({ ok: true as const, value });
}

/**
 * A failure. `undefined`/`null` → `error.unspecified`; a string becomes `HugoError.from(message, code)`.
 */
export function fail<T = never>(error?: HugoError | string | null, code?: string): Result<T> {
  recordResultCreated(false);
  return failUncounted(toHugoError(error, code));
}

/** Passing a failure along is not a new failure (Hugo does not count `CastFailure`). */
export function failUncounted(error: HugoError): Fail {
  return Object.freeze({ ok: false as const, error });
}

function toHugoError(error: HugoError | string | null | undefined, code?: string): HugoError {
  if (error === undefined || error === null) return HugoError.unspecified();
  if (typeof error === 'string') return HugoError.from(error, code);
  return error;
}

export function isOk<T>(result: Result<T>): result is Ok<T> {
  return result.ok;
}

export function isFail<T>(result: Result<T>): result is Fail {
  return !result.ok;
}

/** True for anything shaped like a Result (used where plain values and results may mix). */
export function isResult(value: unknown): value is Result<unknown> {
  if (typeof value !== 'object' || value === null || !('ok' in value)) return false;
  const v = value as { ok: unknown; error?: unknown };
  return v.ok === true || (v.ok === false && v.error instanceof HugoError);
}

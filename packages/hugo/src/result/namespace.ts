import * as collections from './collections.js';
import * as combinators from './combinators.js';
import type { Result as ResultUnion } from './result.js';
import { fail, isFail, isOk, isResult, ok } from './result.js';

/** Hugo's `Result<T>`: `{ ok: true, value } | { ok: false, error }`. */
export type Result<T> = ResultUnion<T>;

/**
 * Every result operation under one name, as Hugo's static `Result` class: `Result.ok(1)`, `Result.map(r, f)`.
 * Hugo's `Then` is `bind` / `andThen` here: an export named `then` would make modules and this object thenable.
 */
export const Result = Object.freeze({
  ok,
  fail,
  isOk,
  isFail,
  isResult,
  ...combinators,
  andThen: combinators.bind,
  andThenAsync: combinators.bindAsync,
  try: combinators.tryCatch,
  ...collections,
});

import ms from 'ms';
import { ErrorCodes } from './result/codes.js';
import { HugoError } from './result/error.js';
import { fail, ok, type Result } from './result/result.js';

/** A duration: milliseconds as a number, or text such as "30s", "1.5 minutes", "2h", "3d", "1h30m". */
export type Duration = number | string;

/**
 * One `ms` term ("30s", "1.5 minutes", "2 days", "250"): what `@temporalio/common` accepts, so an option written
 * for the official SDK means the same here. Several terms may follow each other ("1h30m", "2m 10s"), the way Go
 * writes durations in Temporal's `@every` cron specs and CLI flags.
 */
const TERM = /\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)/y;

/** The longest text parsed: longer input is refused before any work (it only ever comes from a typo or abuse). */
const MAX_TEXT = 100;

/**
 * Milliseconds of a duration, or a failure naming the input (truncated) and the accepted forms. Numbers are
 * milliseconds; they and every term must be finite and non-negative. The result is rounded to whole milliseconds.
 */
export function parseDuration(value: Duration): Result<number> {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? ok(Math.round(value)) : fail(invalid(String(value)));
  }
  const text = value.trim();
  if (text.length === 0 || text.length > MAX_TEXT) return fail(invalid(text));
  let total = 0;
  TERM.lastIndex = 0;
  while (TERM.lastIndex < text.length) {
    const match = TERM.exec(text);
    if (!match) return fail(invalid(text));
    const term = ms(`${match[1]}${match[2] ?? ''}`);
    if (!Number.isFinite(term)) return fail(invalid(text));
    total += term;
  }
  return ok(Math.round(total));
}

/** Milliseconds of a duration; throws a TypeError for a bad one (for values written in code, a programming error). */
export function durationMs(value: Duration): number {
  const parsed = parseDuration(value);
  if (!parsed.ok) throw new TypeError(parsed.error.message);
  return parsed.value;
}

function invalid(text: string): HugoError {
  const shown = text.length > 40 ? `${text.slice(0, 40)}…` : text;
  return HugoError.from(
    `Invalid duration "${shown}": use milliseconds or e.g. "250ms", "30s", "5m", "1.5 hours", "3d", "1h30m".`,
    ErrorCodes.Validation,
  );
}

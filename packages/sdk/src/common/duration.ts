import { type Duration, durationMs as parseDurationMs } from '@odin/hugo';
import type { google } from '@temporalio/proto';

/** A duration: milliseconds as a number, or text such as "30s", "1.5 minutes", "2h", "1 day", "1h30m". */
export type { Duration };

/**
 * Milliseconds of a Duration, read with `@odin/hugo`'s duration grammar; throws a TypeError naming the bad input
 * (a programming error, not a runtime one). A number is returned as given, fraction included: a workflow timer
 * rounds it up (0.4 is a 1 ms timer), and rounding it here first would drop a timer its history recorded.
 */
export function durationMs(value: Duration): number {
  const ms = parseDurationMs(value);
  return typeof value === 'number' ? value : ms;
}

export function optionalDurationMs(value: Duration | undefined): number | undefined {
  return value === undefined ? undefined : durationMs(value);
}

/** google.protobuf.Duration from a Duration, or undefined when unset. */
export function toProtoDuration(value: Duration | undefined): google.protobuf.IDuration | undefined {
  if (value === undefined) return undefined;
  const ms = durationMs(value);
  const seconds = Math.floor(ms / 1000);
  // protobufjs accepts numbers for int64 fields; its typings only name Long.
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 } as unknown as google.protobuf.IDuration;
}

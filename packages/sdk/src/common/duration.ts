import type { google } from '@temporalio/proto';

/** A duration: milliseconds as a number, or a string such as "30s", "1.5 minutes", "2h", "1 day", "250ms". */
export type Duration = number | string;

const unitMs: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

/** Milliseconds of a Duration; throws a TypeError naming the bad input (a programming error, not a runtime one). */
export function durationMs(value: Duration): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw new TypeError(`Invalid duration ${value}: use a number >= 0`);
    return value;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  const unit = match?.[2] === '' ? 'ms' : match?.[2]?.toLowerCase();
  const factor = unit === undefined ? undefined : unitMs[unit];
  if (!match || factor === undefined) {
    throw new TypeError(
      `Invalid duration "${value}": use e.g. 500, "250ms", "30s", "5 minutes", "2h", "1 day"`,
    );
  }
  return Math.round(Number(match[1]) * factor);
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

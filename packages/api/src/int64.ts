// protobufjs decodes int64 fields as Long objects (the `long` package is installed for the official SDK);
// the engine works in JS numbers, which hold every event id, task id and millisecond timestamp it uses.
export type Int64Like = number | string | { toNumber(): number } | null | undefined;

export function toNumber(value: Int64Like, fallback = 0): number {
  if (value === null || value === undefined) return fallback;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return value === '' ? fallback : Number(value);
  return value.toNumber();
}

/** google.protobuf.Duration → milliseconds; undefined when the field is unset. */
export function durationToMs(
  d: { seconds?: Int64Like; nanos?: number | null } | null | undefined,
): number | undefined {
  if (!d) return undefined;
  return toNumber(d.seconds) * 1000 + Math.floor((d.nanos ?? 0) / 1_000_000);
}

/**
 * milliseconds → google.protobuf.Duration. Seconds truncate toward zero so a negative duration keeps both parts
 * negative, as Duration requires (-1.5 s is -1 s and -500,000,000 ns); a mixed sign fails ProtoJSON encoding.
 */
export function msToDuration(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.trunc(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** google.protobuf.Timestamp → epoch milliseconds; undefined when unset. */
export function timestampToMs(
  t: { seconds?: Int64Like; nanos?: number | null } | null | undefined,
): number | undefined {
  return durationToMs(t);
}

/** epoch milliseconds → google.protobuf.Timestamp. */
export function msToTimestamp(ms: number): { seconds: number; nanos: number } {
  return msToDuration(ms);
}

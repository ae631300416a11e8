/**
 * RFC 3339 date-times, as Temporal reads them in queries and Datetime search attributes (Go's RFC3339Nano): a date,
 * `T`, a time with up to nine fraction digits, and `Z` or a numeric offset. Date.parse alone accepts far more forms
 * (and drops digits past milliseconds), so the shape is checked first and the fraction kept to the nanosecond.
 */
const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Nanoseconds since the epoch of an RFC 3339 date-time; undefined when the text is not one. */
export function parseRfc3339Nanos(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, fraction, , sign, oh, om] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const utcMs = Date.UTC(Number(y), month - 1, day, hour, minute, second);
  // Date.UTC rolls 31 February over into March: such a date is not one.
  if (new Date(utcMs).getUTCDate() !== day) return undefined;
  let offsetMinutes = 0;
  if (sign !== undefined) {
    if (Number(oh) > 23 || Number(om) > 59) return undefined;
    offsetMinutes = (Number(oh) * 60 + Number(om)) * (sign === '-' ? -1 : 1);
  }
  const nanosOfSecond = BigInt((fraction ?? '').padEnd(9, '0') || '0');
  return (BigInt(utcMs) - BigInt(offsetMinutes) * 60_000n) * 1_000_000n + nanosOfSecond;
}

/** Microseconds since the epoch, rounded down (Temporal's SQL visibility keeps datetimes to the microsecond). */
export function nanosToMicros(nanos: bigint): number {
  return Number(floorDiv(nanos, 1000n));
}

/** Division rounding toward negative infinity (BigInt's `/` truncates toward zero). */
export function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

export function ceilDiv(a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b);
}

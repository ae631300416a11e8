import { durationMs } from '@odin/sdk';
import { usageError } from './exit-codes.js';

/** Commander accumulator for repeatable options. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** One JSON value from the command line; a mistake is a usage error that shows how to pass a plain string. */
export function parseJson(text: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw usageError(
      `${flag} must be JSON (${reason}): got ${JSON.stringify(text)}; ` +
        `objects look like '{"orderId":"o-1"}', a plain string must be quoted: '"text"'`,
    );
  }
}

export function parseJsonArgs(values: string[] | undefined, flag: string): unknown[] {
  return (values ?? []).map((value) => parseJson(value, flag));
}

/** `key=value` pairs; with `json`, each value is parsed as JSON. */
export function parsePairs(
  values: string[] | undefined,
  flag: string,
  json: boolean,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of values ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw usageError(`${flag} takes key=value, got ${JSON.stringify(pair)}`);
    const key = pair.slice(0, at);
    const value = pair.slice(at + 1);
    out[key] = json ? parseJson(value, `${flag} ${key}`) : value;
  }
  return out;
}

/** A duration as the SDK takes it ("30s", "3 days", "72h", or milliseconds), checked here so a typo is a usage error. */
export function parseDuration(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    durationMs(value);
    return value;
  } catch {
    throw usageError(`${flag}: "${value}" is not a duration; use e.g. 30s, 5m, 72h, 3d, "3 days"`);
  }
}

export function parseLimit(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw usageError(`${flag} must be a whole number >= 1, got "${value}"`);
  return n;
}

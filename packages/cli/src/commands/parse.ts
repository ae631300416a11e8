// Values of client-command flags, checked when the command runs: a mistake is a usage error (exit 2).
import { readFileSync } from 'node:fs';
import { usageError } from './exit-codes.js';
import { durationFlag } from './settings.js';

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

/**
 * The arguments of a workflow, signal or query: each `--input` is one JSON argument, or each `--input-file` is
 * a file holding one JSON argument; the two do not combine (which would come first?).
 */
export function parseInputs(flags: { input?: string[]; inputFile?: string[] }): unknown[] {
  if (flags.input?.length && flags.inputFile?.length) {
    throw usageError('--input and --input-file cannot be combined; pass every argument the same way');
  }
  if (!flags.inputFile?.length) return parseJsonArgs(flags.input, '--input');
  return flags.inputFile.map((path) => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
      throw usageError(`--input-file: cannot read ${path} (${reason})`);
    }
    return parseJson(text, `--input-file ${path}`);
  });
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

/** Milliseconds of an optional duration flag ("30s", "3 days", "72h", "1h30m", or milliseconds). */
export function optionalDuration(value: string | undefined, flag: string): number | undefined {
  return value === undefined ? undefined : durationFlag(value, flag);
}

export function parseLimit(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw usageError(`${flag} must be a whole number >= 1, got "${value}"`);
  return n;
}

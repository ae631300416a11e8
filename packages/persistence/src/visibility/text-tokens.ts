import { MAX_KEYWORD_LENGTH } from './payloads.js';

/**
 * The tokens of a Text value and of a Text query value, the same way on every database: Unicode letters, digits
 * and combining marks in runs, NFKC-normalised and lower-cased, each cut to 255 characters (the indexed column),
 * without duplicates. Temporal's SQL visibility leaves this to each database's full-text engine (so its three
 * databases differ); one tokenizer in code keeps Odin's answers identical on SQLite, PostgreSQL and MySQL.
 */
export function textTokens(value: string): string[] {
  const runs =
    value
      .normalize('NFKC')
      .toLowerCase()
      .match(/[\p{L}\p{N}\p{M}]+/gu) ?? [];
  const tokens = new Set<string>();
  for (const run of runs) {
    const chars = [...run];
    tokens.add(chars.length > MAX_KEYWORD_LENGTH ? chars.slice(0, MAX_KEYWORD_LENGTH).join('') : run);
  }
  return [...tokens];
}

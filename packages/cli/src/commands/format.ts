import type { OutputFormat } from './client-options.js';
import type { CliIo } from './io.js';

export function formatTime(ms: number | undefined): string {
  return ms === undefined || ms === 0 ? '' : new Date(ms).toISOString();
}

/** "3d", "72h", "90m", "45s" or "250ms": the largest unit that divides the value. */
export function formatDurationMs(ms: number | undefined): string {
  if (ms === undefined) return '';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** Columns padded to their widest cell; the last column is not padded. */
export function renderTable(headers: string[], rows: unknown[][]): string {
  const text = rows.map((row) => row.map(cell));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...text.map(line)].join('\n') + '\n';
}

/** `Key: value` lines, keys aligned. */
export function renderFields(fields: [string, unknown][]): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${`${k}:`.padEnd(width + 1)}  ${cell(v)}`.trimEnd()).join('\n') + '\n';
}

/** One value as JSON: indented for `json`, on one line for `jsonl`. */
export function printJson(io: CliIo, value: unknown, output: OutputFormat = 'json'): void {
  io.out(`${JSON.stringify(value ?? null, null, output === 'jsonl' ? undefined : 2)}\n`);
}

/** A list: one JSON array for `json`, one line per item for `jsonl` (what `jq -c`, `grep` and `wc -l` expect). */
export function printJsonList(io: CliIo, items: readonly unknown[], output: OutputFormat): void {
  if (output === 'jsonl') io.out(items.map((item) => `${JSON.stringify(item ?? null)}\n`).join(''));
  else printJson(io, items);
}

/** A payload value for people: strings as they are in `table` output, everything else as JSON. */
export function printValue(io: CliIo, output: OutputFormat, value: unknown): void {
  if (output === 'table' && typeof value === 'string') io.out(`${value}\n`);
  else printJson(io, value, output);
}

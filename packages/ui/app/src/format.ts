// How values of Temporal's JSON are shown.

/** `WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW` → `ContinuedAsNew` (any Temporal enum with a known prefix). */
export function enumLabel(value: string | undefined, prefix: string): string {
  if (!value) return '';
  const rest = value.startsWith(prefix) ? value.slice(prefix.length) : value;
  return rest
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

export const statusLabel = (status: string | undefined) => enumLabel(status, 'WORKFLOW_EXECUTION_STATUS_');
export const eventLabel = (type: string) => enumLabel(type, 'EVENT_TYPE_');

/** The statuses of the list filter, as the visibility query names them. */
export const STATUSES = [
  'Running',
  'Completed',
  'Failed',
  'Canceled',
  'Terminated',
  'ContinuedAsNew',
  'TimedOut',
] as const;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

export function formatTime(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(
    d.getMinutes(),
  )}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${Math.round(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** A proto3 JSON Duration (`"1.5s"`) in ms. */
export function durationMs(value: string | undefined): number | undefined {
  if (!value?.endsWith('s')) return undefined;
  const seconds = Number(value.slice(0, -1));
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

export const timeMs = (iso: string | undefined) => (iso ? new Date(iso).getTime() : undefined);

/** The `…EventAttributes` object of a history event. */
export function eventAttributes(event: Record<string, unknown>): Record<string, unknown> {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventAttributes') && value && typeof value === 'object')
      return value as Record<string, unknown>;
  }
  return {};
}

function decodeBase64(value: string): string | undefined {
  try {
    const bytes = Uint8Array.from(atob(value), (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * A payload as shown: the HTTP API already gives `json/plain` payloads as their JSON (shorthand); a payload in the
 * standard form (another encoding) is shown by its encoding and, when it is text, its text.
 */
export function payloadValue(payload: unknown): unknown {
  if (payload && typeof payload === 'object' && !Array.isArray(payload)) {
    const p = payload as { metadata?: Record<string, string>; data?: string };
    if (p.metadata?.encoding !== undefined && Object.keys(p).every((k) => k === 'metadata' || k === 'data')) {
      const encoding = decodeBase64(p.metadata.encoding) ?? '?';
      const text = p.data === undefined ? '' : decodeBase64(p.data);
      return { encoding, [text === undefined ? 'base64' : 'text']: text ?? p.data };
    }
  }
  return payload;
}

/** Payloads (shorthand array or `{payloads: [...]}`) as the list of values shown. */
export function payloadList(payloads: unknown): unknown[] {
  if (payloads === undefined || payloads === null) return [];
  if (Array.isArray(payloads)) return payloads.map(payloadValue);
  const list = (payloads as { payloads?: unknown[] }).payloads;
  return Array.isArray(list) ? list.map(payloadValue) : [payloadValue(payloads)];
}

export function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? String(value);
}

/** Parses what a user typed as a list of arguments: a JSON array is the list, any other JSON value is one argument. */
export function parseArgs(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const value = JSON.parse(trimmed) as unknown;
  return Array.isArray(value) ? value : [value];
}

/** A schedule's spec in one line: its cron strings, intervals and calendars, as a user reads them. */
export function specSummary(
  spec:
    | {
        cronString?: string[];
        interval?: { interval?: string; phase?: string }[];
        structuredCalendar?: Record<string, unknown>[];
        calendar?: Record<string, unknown>[];
        timezoneName?: string;
      }
    | undefined,
): string {
  if (!spec) return '';
  const parts = [
    ...(spec.cronString ?? []).map((cron) => `cron ${cron}`),
    ...(spec.interval ?? []).map((i) => {
      const every = formatDuration(durationMs(i.interval) ?? Number.NaN) || i.interval;
      const phase = durationMs(i.phase);
      return phase ? `every ${every} (offset ${formatDuration(phase)})` : `every ${every}`;
    }),
    ...[...(spec.structuredCalendar ?? []), ...(spec.calendar ?? [])].map(
      (calendar) => `calendar ${JSON.stringify(calendar)}`,
    ),
  ];
  const summary = parts.join('; ');
  return spec.timezoneName ? `${summary} (${spec.timezoneName})` : summary;
}

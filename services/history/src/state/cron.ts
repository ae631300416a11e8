import { CRON_DAYS, CRON_MACROS, CRON_MONTHS, parseDuration } from '@odin/hugo';
import { Cron } from 'croner';

/**
 * Cron schedules in the dialect Temporal accepts, evaluated by croner:
 * - five fields `minute hour day-of-month month day-of-week`, each `*`, `?`, a number or a name (JAN-DEC, SUN-SAT, in
 *   any case), a range `a-b`, a step `x/n` (`5/15` runs from 5 to the field's end), or a list of these; day-of-month
 *   and day-of-week both restricted means either may match;
 * - the macros `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`;
 * - `@every <duration>` (the project's duration grammar, e.g. `90s`, `1h30m`): fire times on a fixed grid of that
 *   period counted from the Unix epoch, in whole seconds, one second at least;
 * - a `CRON_TZ=<IANA zone>` (or `TZ=`) prefix; UTC without one.
 * Croner accepts more (seconds and year fields, `L`, `W`, `#`, `+`), which Temporal refuses, so this module checks
 * the dialect before croner sees a pattern. Day-of-week 7 (Sunday) is accepted as it always was here, although
 * Temporal's parser stops at 6.
 */
export interface CronSchedule {
  /** The next fire time strictly after `afterMs`; undefined when there is none. */
  next(afterMs: number): number | undefined;
}

interface Field {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: Field[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: CRON_MONTHS },
  { name: 'day-of-week', min: 0, max: 7, names: CRON_DAYS },
];

/** One element of a field's list: `*` or `?`, or a value or range of values; then an optional step. */
const PART = /^(?:([*?])|([0-9]+|[a-z]{3})(?:-([0-9]+|[a-z]{3}))?)(?:\/([0-9]+))?$/i;

const ZONE_PREFIX = /^(?:CRON_TZ|TZ)=(\S*)(?:\s+(.*))?$/s;

const SECOND_MS = 1_000;

/**
 * Any schedule that matches some date matches one within eight years of any moment (a 29 February can be eight
 * years from the previous one), so asking once from a fixed moment tells whether it ever fires.
 */
const NEVER_FIRES_PROBE = Date.UTC(2000, 0, 1);

/** Parses a schedule; throws an Error with a message a person can act on when it is not valid or never fires. */
export function parseCron(spec: string): CronSchedule {
  let text = spec.trim();
  let timezone = 'UTC';
  const zoned = ZONE_PREFIX.exec(text);
  if (zoned) {
    timezone = zoned[1] ?? '';
    text = (zoned[2] ?? '').trim();
    if (!isTimeZone(timezone)) {
      throw new Error(`cron schedule "${spec}": "${timezone}" is not an IANA time zone such as Europe/Paris`);
    }
    if (!text) throw new Error(`cron schedule "${spec}" has a time zone but no schedule`);
  }
  if (text.startsWith('@every')) return everySchedule(spec, text.slice('@every'.length).trim());
  const pattern = text.startsWith('@') ? CRON_MACROS[text] : text;
  if (pattern === undefined) {
    throw new Error(
      `cron schedule "${spec}": unknown macro; use one of ${Object.keys(CRON_MACROS).join(', ')} or @every`,
    );
  }
  const fields = pattern.split(/\s+/);
  if (fields.length !== FIELDS.length) {
    throw new Error(
      `cron schedule "${spec}" must have 5 fields (minute hour day-of-month month day-of-week)`,
    );
  }
  for (const [i, field] of fields.entries()) checkField(spec, field, FIELDS[i]!);
  // sloppyRanges: a step after a single value (`5/15`) runs to the end of the field, as in Temporal; steps without
  // any start (`/15`), which croner would also take with it, were refused above.
  const job = new Cron(fields.join(' '), { timezone, paused: true, mode: '5-part', sloppyRanges: true });
  const schedule: CronSchedule = {
    next(afterMs) {
      const at = job.nextRun(new Date(afterMs))?.getTime();
      return at !== undefined && at > afterMs ? at : undefined;
    },
  };
  if (schedule.next(NEVER_FIRES_PROBE) === undefined) {
    throw new Error(`cron schedule "${spec}" never fires: no date matches its day-of-month and month`);
  }
  return schedule;
}

function everySchedule(spec: string, durationText: string): CronSchedule {
  const parsed = parseDuration(durationText);
  if (!durationText || !parsed.ok) {
    throw new Error(`cron schedule "${spec}": @every needs a duration such as 90s or 1h30m`);
  }
  // As Temporal: whole seconds, and one second at least.
  const everyMs = Math.max(SECOND_MS, Math.floor(parsed.value / SECOND_MS) * SECOND_MS);
  return { next: (after) => (Math.floor(after / everyMs) + 1) * everyMs };
}

function checkField(spec: string, field: string, f: Field): void {
  const bad = () =>
    new Error(
      `cron schedule "${spec}": ${f.name} field "${field}" must be *, ?, a number ${f.min}-${f.max}` +
        `${f.names ? ` or a name (${f.names[0]!.toUpperCase()}, …)` : ''}, a range, a step or a list of these`,
    );
  for (const part of field.split(',')) {
    const m = PART.exec(part);
    if (!m) throw bad();
    const [, star, from, to, step] = m;
    if (step !== undefined && Number(step) < 1) throw bad();
    if (star) continue;
    const lo = value(from!, f);
    const hi = to === undefined ? lo : value(to, f);
    if (lo === undefined || hi === undefined || lo > hi) throw bad();
  }
}

function value(text: string, f: Field): number | undefined {
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    return n >= f.min && n <= f.max ? n : undefined;
  }
  const index = f.names?.indexOf(text.toLowerCase()) ?? -1;
  return index < 0 ? undefined : index + (f.names === CRON_MONTHS ? 1 : 0);
}

function isTimeZone(zone: string): boolean {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

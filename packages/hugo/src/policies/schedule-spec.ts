import { Cron } from 'croner';

/**
 * The times a schedule fires at, in plain numbers (epoch milliseconds): calendar rules and fixed intervals, minus
 * exclusion calendars, bounded by start and end, shifted by a deterministic jitter. Calendar rules are evaluated by
 * croner (7 fields, seconds to years, day-of-month AND day-of-week) in an IANA time zone.
 */

/** `start` to `end` inclusive, every `step`th value. */
export interface CalendarRange {
  readonly start: number;
  readonly end: number;
  readonly step: number;
}

/** A calendar rule: a time matches when every field matches one of its ranges. An empty `year` matches any year. */
export interface CalendarRule {
  readonly second: readonly CalendarRange[];
  readonly minute: readonly CalendarRange[];
  readonly hour: readonly CalendarRange[];
  readonly dayOfMonth: readonly CalendarRange[];
  readonly month: readonly CalendarRange[];
  readonly year: readonly CalendarRange[];
  /** 0 = Sunday … 6 = Saturday. */
  readonly dayOfWeek: readonly CalendarRange[];
}

/** Times `offsetMs + k × everyMs` counted from the Unix epoch. */
export interface IntervalRule {
  readonly everyMs: number;
  readonly offsetMs: number;
}

export interface ScheduleSpecRules {
  readonly calendars: readonly CalendarRule[];
  readonly intervals: readonly IntervalRule[];
  /** A time matching any of these is skipped. */
  readonly excludes: readonly CalendarRule[];
  /** Times before it are skipped (inclusive bound). */
  readonly startTime?: number;
  /** Times after it are skipped (inclusive bound). */
  readonly endTime?: number;
  /** Each action runs up to this much after its nominal time (never past the next nominal time). */
  readonly jitterMs: number;
  /** IANA time zone of the calendar rules; UTC when empty. */
  readonly timezone: string;
}

export interface ScheduledTime {
  /** The time the spec names. */
  readonly nominal: number;
  /** The nominal time plus its jitter: when the action runs. */
  readonly actual: number;
}

export const FIELD_BOUNDS = {
  second: [0, 59],
  minute: [0, 59],
  hour: [0, 23],
  dayOfMonth: [1, 31],
  month: [1, 12],
  year: [1970, 9999],
  dayOfWeek: [0, 6],
} as const satisfies Record<keyof CalendarRule, readonly [number, number]>;

const SECOND_MS = 1_000;
/** Exclusions can skip many matches in a row; past this many the spec is taken to fire no more. */
const MAX_SKIPPED_CANDIDATES = 10_000;
/** Order of croner's 7-part pattern. */
const CRON_FIELDS: readonly (keyof CalendarRule)[] = [
  'second',
  'minute',
  'hour',
  'dayOfMonth',
  'month',
  'dayOfWeek',
  'year',
];

function fieldPattern(ranges: readonly CalendarRange[]): string {
  if (ranges.length === 0) return '*';
  return ranges
    .map(({ start, end, step }) => {
      if (end <= start) return String(start);
      return step > 1 ? `${start}-${end}/${step}` : `${start}-${end}`;
    })
    .join(',');
}

/** The croner pattern of a calendar rule (7 fields: second … day-of-week, year). */
export function calendarPattern(rule: CalendarRule): string {
  return CRON_FIELDS.map((field) => fieldPattern(rule[field])).join(' ');
}

class CompiledCalendar {
  readonly #cron: Cron;

  constructor(rule: CalendarRule, timezone: string) {
    this.#cron = new Cron(calendarPattern(rule), {
      timezone: timezone === '' ? 'UTC' : timezone,
      mode: '7-part',
      domAndDow: true,
      paused: true,
    });
  }

  /** The first match strictly after `afterMs`. */
  next(afterMs: number): number | undefined {
    let from = afterMs;
    for (let attempt = 0; attempt < 2; attempt++) {
      const next = this.#cron.nextRun(new Date(from));
      if (!next) return undefined;
      const at = next.getTime();
      if (at > afterMs) return at;
      from = afterMs + SECOND_MS;
    }
    return undefined;
  }

  matches(ms: number): boolean {
    return this.next(ms - SECOND_MS) === ms;
  }
}

function nextOnInterval(rule: IntervalRule, afterMs: number): number {
  const k = Math.floor((afterMs - rule.offsetMs) / rule.everyMs) + 1;
  return rule.offsetMs + k * rule.everyMs;
}

/** FNV-1a of a string, as a fraction in [0, 1): the jitter of one nominal time is the same wherever it is computed. */
function unitHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 0x1_0000_0000;
}

/** A validated, compiled spec. The constructor throws RangeError for a time zone or pattern croner refuses. */
export class CompiledScheduleSpec {
  readonly #calendars: CompiledCalendar[];
  readonly #excludes: CompiledCalendar[];

  constructor(
    readonly rules: ScheduleSpecRules,
    /** Makes jitter differ between schedules firing at the same times (the schedule id). */
    private readonly jitterSeed = '',
  ) {
    const zone = rules.timezone === '' ? 'UTC' : rules.timezone;
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: zone });
    } catch {
      throw new RangeError(`unknown time zone "${rules.timezone}"`);
    }
    for (const interval of rules.intervals) {
      if (!(interval.everyMs >= SECOND_MS)) throw new RangeError('interval must be at least one second');
      if (interval.offsetMs < 0 || interval.offsetMs >= interval.everyMs)
        throw new RangeError('phase must be non-negative and less than the interval');
    }
    const compile = (rule: CalendarRule) => {
      try {
        return new CompiledCalendar(rule, zone);
      } catch (error) {
        throw new RangeError(`invalid calendar spec: ${(error as Error).message}`);
      }
    };
    this.#calendars = rules.calendars.map(compile);
    this.#excludes = rules.excludes.map(compile);
  }

  /** The first nominal time strictly after `afterMs` that no exclusion matches, within start and end. */
  nextNominal(afterMs: number): number | undefined {
    const { startTime, endTime } = this.rules;
    let after = afterMs;
    if (startTime !== undefined && after < startTime) after = startTime - 1;
    for (let skipped = 0; skipped < MAX_SKIPPED_CANDIDATES; skipped++) {
      let best: number | undefined;
      for (const calendar of this.#calendars) {
        const at = calendar.next(after);
        if (at !== undefined && (best === undefined || at < best)) best = at;
      }
      for (const interval of this.rules.intervals) {
        const at = nextOnInterval(interval, after);
        if (best === undefined || at < best) best = at;
      }
      if (best === undefined) return undefined;
      if (endTime !== undefined && best > endTime) return undefined;
      if (!this.#excludes.some((exclude) => exclude.matches(best))) return best;
      after = best;
    }
    return undefined;
  }

  /** The next action strictly after `afterMs` (by nominal time), with its jitter. */
  next(afterMs: number): ScheduledTime | undefined {
    const nominal = this.nextNominal(afterMs);
    if (nominal === undefined) return undefined;
    return { nominal, actual: nominal + this.jitterOf(nominal) };
  }

  /** The jitter of one nominal time: below both the spec's jitter and the gap to the following nominal time. */
  jitterOf(nominal: number): number {
    if (this.rules.jitterMs <= 0) return 0;
    const following = this.nextNominal(nominal);
    const bound =
      following === undefined ? this.rules.jitterMs : Math.min(this.rules.jitterMs, following - nominal);
    return Math.floor(unitHash(`${this.jitterSeed}:${nominal}`) * bound);
  }

  /** Nominal times in `[fromMs, toMs]`, at most `limit` of them. */
  nominalTimesBetween(fromMs: number, toMs: number, limit: number): number[] {
    const out: number[] = [];
    let at = this.nextNominal(fromMs - 1);
    while (at !== undefined && at <= toMs && out.length < limit) {
      out.push(at);
      at = this.nextNominal(at);
    }
    return out;
  }
}

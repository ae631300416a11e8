import { durationToMs, msToDuration, ServiceError, timestampToMs } from '@odin/api';
import {
  type CalendarRange,
  type CalendarRule,
  CompiledScheduleSpec,
  CRON_DAYS,
  CRON_MACROS,
  CRON_MONTHS,
  FIELD_BOUNDS,
  type IntervalRule,
  parseDuration,
  type ScheduleSpecRules,
} from '@odin/hugo';
import type { temporal as T } from '@temporalio/proto';

type Spec = T.api.schedule.v1.IScheduleSpec;
type Structured = T.api.schedule.v1.IStructuredCalendarSpec;
type Calendar = T.api.schedule.v1.ICalendarSpec;
type ProtoRange = T.api.schedule.v1.IRange;
type Field = keyof CalendarRule;

/**
 * Temporal's ScheduleSpec in its canonical form and as plain rules. Cron strings and string calendars are compiled
 * into structured calendars (and `@every` into intervals) when a schedule is written, as Temporal's server does, so
 * a describe shows what the schedule really runs on. The field grammar is Temporal's: `*`, `?`, a number or a
 * three-letter name, `a-b`, a step `x/n`, lists of these; every field of a calendar must match (day of month AND
 * day of week). Hand-written because croner's own parser takes a different dialect (and no structured ranges).
 */

const FIELDS: readonly Field[] = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'year', 'dayOfWeek'];
/** Defaults of a string calendar's fields (and of a cron string's missing second and year). */
const CALENDAR_DEFAULTS: Readonly<Record<Field, string>> = {
  second: '0',
  minute: '0',
  hour: '0',
  dayOfMonth: '*',
  month: '*',
  year: '*',
  dayOfWeek: '*',
};

function invalid(message: string): ServiceError {
  return ServiceError.invalidArgument(message);
}

function bounds(field: Field): readonly [number, number] {
  // Day of week 7 is Sunday, as in most cron dialects.
  return field === 'dayOfWeek' ? [0, 7] : FIELD_BOUNDS[field];
}

function parseValue(text: string, field: Field): number {
  const lower = text.toLowerCase();
  const names = field === 'month' ? CRON_MONTHS : field === 'dayOfWeek' ? CRON_DAYS : undefined;
  if (names) {
    const index = names.findIndex((n) => lower.startsWith(n) && (lower === n || lower.length > 3));
    if (index >= 0) return field === 'month' ? index + 1 : index;
  }
  if (!/^[0-9]+$/.test(text)) throw invalid(`invalid ${field} value "${text}"`);
  const value = Number(text);
  const [min, max] = bounds(field);
  if (value < min || value > max) throw invalid(`${field} value ${value} is out of range ${min}-${max}`);
  return value;
}

/** Sunday written 7 becomes 0 (a range ending at 7 gets a 0 beside it). */
function normalizeDayOfWeek(ranges: CalendarRange[]): CalendarRange[] {
  const out: CalendarRange[] = [];
  for (const r of ranges) {
    if (r.start === 7) out.push({ start: 0, end: 0, step: 1 });
    else if (r.end === 7) {
      out.push({ ...r, end: 6 });
      if ((7 - r.start) % r.step === 0) out.push({ start: 0, end: 0, step: 1 });
    } else out.push(r);
  }
  return out;
}

/** One field of a cron string or string calendar as ranges; `*` of year is no restriction (empty). */
export function parseCalendarField(text: string, field: Field): CalendarRange[] {
  const [min, max] = bounds(field);
  const out: CalendarRange[] = [];
  for (const part of text.trim().split(',')) {
    const [body = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw invalid(`invalid step in ${field} "${part}"`);
    if (body === '*' || body === '?') {
      if (field === 'year' && step === 1) return [];
      out.push({ start: field === 'year' ? 1970 : min, end: field === 'dayOfWeek' ? 6 : max, step });
      continue;
    }
    const [from, to] = body.split('-');
    if (from === undefined || from === '') throw invalid(`invalid ${field} "${part}"`);
    const start = parseValue(from, field);
    const end =
      to === undefined
        ? stepText === undefined
          ? start
          : field === 'year'
            ? 9999
            : max
        : parseValue(to, field);
    if (end < start) throw invalid(`invalid range in ${field} "${part}"`);
    out.push({ start, end, step });
  }
  return field === 'dayOfWeek' ? normalizeDayOfWeek(out) : out;
}

function toProtoRanges(ranges: readonly CalendarRange[]): ProtoRange[] {
  return ranges.map((r) => ({ start: r.start, end: r.end, step: r.step }));
}

function structuredOf(fields: Record<Field, CalendarRange[]>, comment: string): Structured {
  const out: Structured = { comment };
  for (const f of FIELDS) out[f] = toProtoRanges(fields[f]);
  return out;
}

function calendarToStructured(calendar: Calendar): Structured {
  const fields = {} as Record<Field, CalendarRange[]>;
  for (const f of FIELDS) fields[f] = parseCalendarField(calendar[f] || CALENDAR_DEFAULTS[f], f);
  return structuredOf(fields, calendar.comment ?? '');
}

interface ParsedCron {
  calendar?: Structured;
  interval?: T.api.schedule.v1.IIntervalSpec;
  timezone?: string;
}

function positiveDurationMs(text: string, what: string): number {
  const parsed = parseDuration(text);
  if (!parsed.ok || parsed.value < 0) throw invalid(`invalid ${what} "${text}"`);
  return parsed.value;
}

/** A cron string: 5, 6 (with year) or 7 (second first, year last) fields, macros, `@every`, a zone, a comment. */
export function parseCronString(input: string): ParsedCron {
  let text = input.trim();
  const hash = text.indexOf('#');
  const comment = hash >= 0 ? text.slice(hash + 1).trim() : '';
  if (hash >= 0) text = text.slice(0, hash).trim();
  let timezone: string | undefined;
  const zone = /^(?:CRON_TZ|TZ)=(\S+)\s+(.*)$/s.exec(text);
  if (zone) {
    timezone = zone[1]!;
    text = zone[2]!.trim();
  }
  const every = /^@every\s+(\S+)$/i.exec(text);
  if (every) {
    const [intervalText = '', phaseText] = every[1]!.split('/');
    const everyMs = positiveDurationMs(intervalText, 'interval');
    const phaseMs = phaseText === undefined ? 0 : positiveDurationMs(phaseText, 'phase');
    return {
      interval: {
        interval: msToDuration(everyMs),
        phase: msToDuration(phaseMs),
      } as unknown as T.api.schedule.v1.IIntervalSpec,
      ...(timezone ? { timezone } : {}),
    };
  }
  const macro = CRON_MACROS[text.toLowerCase()];
  if (macro) text = macro;
  else if (text.startsWith('@')) throw invalid(`invalid cron string "${input}"`);
  const parts = text.split(/\s+/);
  let named: Partial<Record<Field, string>>;
  if (parts.length === 5) {
    const [minute, hour, dayOfMonth, month, dayOfWeek] = parts;
    named = { minute, hour, dayOfMonth, month, dayOfWeek };
  } else if (parts.length === 6) {
    const [minute, hour, dayOfMonth, month, dayOfWeek, year] = parts;
    named = { minute, hour, dayOfMonth, month, dayOfWeek, year };
  } else if (parts.length === 7) {
    const [second, minute, hour, dayOfMonth, month, dayOfWeek, year] = parts;
    named = { second, minute, hour, dayOfMonth, month, dayOfWeek, year };
  } else {
    throw invalid(`invalid cron string "${input}": expected 5, 6 or 7 fields`);
  }
  const fields = {} as Record<Field, CalendarRange[]>;
  for (const f of FIELDS) fields[f] = parseCalendarField(named[f] ?? CALENDAR_DEFAULTS[f], f);
  return { calendar: structuredOf(fields, comment), ...(timezone ? { timezone } : {}) };
}

function rangesOf(
  ranges: ProtoRange[] | null | undefined,
  field: Field,
  whenEmpty: CalendarRange[],
): CalendarRange[] {
  if (!ranges || ranges.length === 0) return whenEmpty;
  const [min, max] = field === 'year' ? [0, 9999] : FIELD_BOUNDS[field];
  return ranges.map((r) => {
    const start = r.start ?? 0;
    const end = Math.max(start, r.end ?? 0);
    const step = (r.step ?? 0) > 0 ? r.step! : 1;
    if (start < min || end > max)
      throw invalid(`${field} range ${start}-${end} is out of range ${min}-${max}`);
    return { start, end, step };
  });
}

const ZERO: CalendarRange[] = [{ start: 0, end: 0, step: 1 }];

/** A structured calendar as a rule, with Temporal's defaults: second, minute, hour 0; the other fields any. */
function ruleOf(calendar: Structured): CalendarRule {
  return {
    second: rangesOf(calendar.second, 'second', ZERO),
    minute: rangesOf(calendar.minute, 'minute', ZERO),
    hour: rangesOf(calendar.hour, 'hour', ZERO),
    dayOfMonth: rangesOf(calendar.dayOfMonth, 'dayOfMonth', []),
    month: rangesOf(calendar.month, 'month', []),
    year: rangesOf(calendar.year, 'year', []),
    dayOfWeek: rangesOf(calendar.dayOfWeek, 'dayOfWeek', []),
  };
}

/** The canonical spec: cron strings and string calendars compiled into structured calendars and intervals. */
export function canonicalSpec(spec: Spec | null | undefined): Spec {
  const input = spec ?? {};
  const structured = [...(input.structuredCalendar ?? [])];
  const intervals = [...(input.interval ?? [])];
  let timezone = input.timezoneName ?? '';
  for (const cron of input.cronString ?? []) {
    const parsed = parseCronString(cron);
    if (parsed.calendar) structured.push(parsed.calendar);
    if (parsed.interval) intervals.push(parsed.interval);
    if (parsed.timezone) {
      if (timezone !== '' && timezone !== parsed.timezone)
        throw invalid('a cron string time zone may not differ from the spec time zone');
      timezone = parsed.timezone;
    }
  }
  for (const calendar of input.calendar ?? []) structured.push(calendarToStructured(calendar));
  const excludes = [
    ...(input.excludeStructuredCalendar ?? []),
    ...(input.excludeCalendar ?? []).map(calendarToStructured),
  ];
  return {
    structuredCalendar: structured,
    cronString: [],
    calendar: [],
    interval: intervals,
    excludeCalendar: [],
    excludeStructuredCalendar: excludes,
    ...(input.startTime ? { startTime: input.startTime } : {}),
    ...(input.endTime ? { endTime: input.endTime } : {}),
    ...(input.jitter ? { jitter: input.jitter } : {}),
    timezoneName: timezone,
    ...(input.timezoneData && input.timezoneData.length > 0 ? { timezoneData: input.timezoneData } : {}),
  };
}

/** Plain rules of a canonical spec. */
export function rulesOf(spec: Spec): ScheduleSpecRules {
  const intervals: IntervalRule[] = (spec.interval ?? []).map((i) => {
    return { everyMs: durationToMs(i.interval) ?? 0, offsetMs: durationToMs(i.phase) ?? 0 };
  });
  const startTime = spec.startTime ? timestampToMs(spec.startTime) : undefined;
  const endTime = spec.endTime ? timestampToMs(spec.endTime) : undefined;
  return {
    calendars: (spec.structuredCalendar ?? []).map(ruleOf),
    intervals,
    excludes: (spec.excludeStructuredCalendar ?? []).map(ruleOf),
    ...(startTime === undefined ? {} : { startTime }),
    ...(endTime === undefined ? {} : { endTime }),
    jitterMs: Math.max(0, durationToMs(spec.jitter) ?? 0),
    timezone: spec.timezoneName ?? '',
  };
}

/** Canonical spec compiled, or INVALID_ARGUMENT naming what is wrong. */
export function compileSpec(spec: Spec, scheduleId: string): CompiledScheduleSpec {
  if ((spec.timezoneData?.length ?? 0) > 0)
    throw invalid('timezone_data is not supported; give the time zone by its IANA name');
  try {
    return new CompiledScheduleSpec(rulesOf(spec), scheduleId);
  } catch (error) {
    if (error instanceof RangeError) throw invalid(`invalid schedule spec: ${error.message}`);
    throw error;
  }
}

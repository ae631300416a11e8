import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CalendarRule, CompiledScheduleSpec, type ScheduleSpecRules } from '../src/index.js';

const one = (n: number) => [{ start: n, end: n, step: 1 }];
const ANY: CalendarRule = {
  second: one(0),
  minute: one(0),
  hour: one(0),
  dayOfMonth: [],
  month: [],
  year: [],
  dayOfWeek: [],
};
const rules = (patch: Partial<ScheduleSpecRules>): ScheduleSpecRules => ({
  calendars: [],
  intervals: [],
  excludes: [],
  jitterMs: 0,
  timezone: '',
  ...patch,
});
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('CompiledScheduleSpec', () => {
  test('an interval with a phase fires on its grid from the epoch, strictly after the given time', () => {
    const spec = new CompiledScheduleSpec(rules({ intervals: [{ everyMs: 3_600_000, offsetMs: 300_000 }] }));
    assert.equal(iso(spec.nextNominal(at('2026-01-01T10:00:00Z'))), '2026-01-01T10:05:00.000Z');
    assert.equal(iso(spec.nextNominal(at('2026-01-01T10:05:00Z'))), '2026-01-01T11:05:00.000Z');
  });

  test('a calendar rule matches every field (day of month AND day of week)', () => {
    // Noon on a Friday the 13th.
    const spec = new CompiledScheduleSpec(
      rules({ calendars: [{ ...ANY, hour: one(12), dayOfMonth: one(13), dayOfWeek: one(5) }] }),
    );
    assert.equal(iso(spec.nextNominal(at('2026-01-01T00:00:00Z'))), '2026-02-13T12:00:00.000Z');
  });

  test('ranges with steps, years, and the time zone of the rules', () => {
    const spec = new CompiledScheduleSpec(
      rules({
        calendars: [{ ...ANY, hour: one(9), minute: [{ start: 0, end: 30, step: 15 }], year: one(2027) }],
        timezone: 'America/New_York',
      }),
    );
    assert.equal(iso(spec.nextNominal(at('2026-06-01T00:00:00Z'))), '2027-01-01T14:00:00.000Z');
    assert.equal(iso(spec.nextNominal(at('2027-01-01T14:00:00Z'))), '2027-01-01T14:15:00.000Z');
    assert.equal(iso(spec.nextNominal(at('2027-07-01T14:30:00Z'))), '2027-07-02T13:00:00.000Z');
  });

  test('exclusions, start and end bound the times', () => {
    const spec = new CompiledScheduleSpec(
      rules({
        intervals: [{ everyMs: 60_000, offsetMs: 0 }],
        excludes: [{ ...ANY, minute: one(2), hour: [{ start: 0, end: 23, step: 1 }] }],
        startTime: at('2026-01-01T00:01:00Z'),
        endTime: at('2026-01-01T00:04:00Z'),
      }),
    );
    const times = spec.nominalTimesBetween(at('2026-01-01T00:00:00Z'), at('2026-01-01T01:00:00Z'), 100);
    assert.deepEqual(times.map(iso), [
      '2026-01-01T00:01:00.000Z',
      '2026-01-01T00:03:00.000Z',
      '2026-01-01T00:04:00.000Z',
    ]);
  });

  test('jitter is deterministic, below the jitter and below the gap to the next time', () => {
    const spec = new CompiledScheduleSpec(
      rules({ intervals: [{ everyMs: 10_000, offsetMs: 0 }], jitterMs: 60_000 }),
      'sched-a',
    );
    const t = at('2026-01-01T00:00:00Z');
    const a = spec.next(t);
    assert.ok(a);
    assert.deepEqual(spec.next(t), a);
    assert.ok(a.actual >= a.nominal && a.actual < a.nominal + 10_000);
    const other = new CompiledScheduleSpec(spec.rules, 'sched-b');
    const jitters = new Set(
      [0, 1, 2, 3, 4].map((k) => other.jitterOf(t + k * 10_000) - spec.jitterOf(t + k * 10_000)),
    );
    assert.ok(jitters.size > 1);
  });

  test('a bad time zone or interval is refused', () => {
    assert.throws(() => new CompiledScheduleSpec(rules({ timezone: 'Mars/Olympus' })), RangeError);
    assert.throws(
      () => new CompiledScheduleSpec(rules({ intervals: [{ everyMs: 500, offsetMs: 0 }] })),
      RangeError,
    );
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ScheduleQueryEntry, scheduleQueryFilter } from '../src/schedule-query.js';

const entries: ScheduleQueryEntry[] = [
  { scheduleId: 'nightly-a', paused: true, searchAttributes: { Team: 'ops', Tags: ['x', 'y'], Size: 3 } },
  { scheduleId: 'nightly-b', paused: false, searchAttributes: { Team: 'web', Size: 10 } },
  { scheduleId: 'hourly', paused: false, searchAttributes: {} },
];

const ids = (query: string) => entries.filter(scheduleQueryFilter(query)).map((e) => e.scheduleId);

describe('schedule list filter', () => {
  test('system and custom attributes with Temporal operators', () => {
    assert.deepEqual(ids(''), ['nightly-a', 'nightly-b', 'hourly']);
    assert.deepEqual(ids('TemporalSchedulePaused = true'), ['nightly-a']);
    assert.deepEqual(ids("Team = 'web' OR Tags = 'y'"), ['nightly-a', 'nightly-b']);
    assert.deepEqual(ids("ScheduleId STARTS_WITH 'nightly' AND Size > 5"), ['nightly-b'] as string[]);
    assert.deepEqual(ids("ScheduleId IN ('hourly', 'nightly-a')"), ['nightly-a', 'hourly']);
    assert.deepEqual(ids('Team IS NULL'), ['hourly']);
    assert.deepEqual(ids('Size BETWEEN 1 AND 5'), ['nightly-a']);
    assert.deepEqual(ids("NOT (Team = 'ops')"), ['nightly-b', 'hourly']);
  });

  test('a malformed or unsupported query is INVALID_ARGUMENT', () => {
    assert.throws(
      () => scheduleQueryFilter('Team = '),
      (e: { code?: number }) => e.code === 3,
    );
    assert.throws(
      () => scheduleQueryFilter("Team = 'a' ORDER BY Team"),
      (e: { code?: number }) => e.code === 3,
    );
  });
});

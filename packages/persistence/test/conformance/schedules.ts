// The schedules table on every dialect: insert, compare-and-set, the due scan, pages, count, delete.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ScheduleAlreadyExistsError,
  ScheduleNotFoundError,
  type ScheduleRecord,
  ScheduleVersionConflictError,
} from '../../src/contract.js';
import type { SuiteContext } from './suite.js';

const NS_ID = 'ns-schedules';
const bytes = (text: string) => new TextEncoder().encode(text);

function record(scheduleId: string, nextWakeTime: number | null): Omit<ScheduleRecord, 'version'> {
  return {
    namespaceId: NS_ID,
    scheduleId,
    schedule: bytes(`def-${scheduleId}`),
    memo: null,
    searchAttributes: bytes('sa'),
    state: bytes('{}'),
    nextWakeTime,
    createdAt: 1_000,
    updatedAt: 1_000,
  };
}

export function defineScheduleCases(ctx: SuiteContext): void {
  describe('schedules', () => {
    test('a schedule is created at version 1 once; its id is taken afterwards', async () => {
      const created = await ctx.store.schedules.createSchedule(record('s-a', 5_000));
      assert.equal(created.version, 1);
      await assert.rejects(ctx.store.schedules.createSchedule(record('s-a', 1)), ScheduleAlreadyExistsError);
      const read = await ctx.store.schedules.getSchedule(NS_ID, 's-a');
      assert.deepEqual(read && new TextDecoder().decode(read.schedule), 'def-s-a');
      assert.equal(read?.memo, null);
      assert.deepEqual(read?.searchAttributes, bytes('sa'));
      assert.equal(read?.nextWakeTime, 5_000);
    });

    test('an update is a compare-and-set on the version', async () => {
      await ctx.store.schedules.createSchedule(record('s-b', null));
      const { version: _v, createdAt: _c, ...base } = { ...record('s-b', 7_000), version: 1 };
      const updated = await ctx.store.schedules.updateSchedule({ ...base, state: bytes('{"n":1}') }, 1);
      assert.equal(updated.version, 2);
      assert.equal(updated.nextWakeTime, 7_000);
      await assert.rejects(ctx.store.schedules.updateSchedule(base, 1), ScheduleVersionConflictError);
      await assert.rejects(
        ctx.store.schedules.updateSchedule({ ...base, scheduleId: 's-absent' }, 1),
        ScheduleNotFoundError,
      );
    });

    test('the due scan returns due schedules earliest first; pages, count and delete', async () => {
      await ctx.store.schedules.createSchedule(record('s-c', 2_000));
      await ctx.store.schedules.createSchedule(record('s-d', 9_999_999));
      const due = await ctx.store.schedules.listDueSchedules(6_000, 10);
      const ids = due.filter((d) => d.namespaceId === NS_ID).map((d) => d.scheduleId);
      assert.deepEqual(ids, ['s-c', 's-a']);
      const first = await ctx.store.schedules.listSchedules(NS_ID, { pageSize: 2 });
      assert.deepEqual(
        first.items.map((s) => s.scheduleId),
        ['s-a', 's-b'],
      );
      assert.ok(first.nextPageToken);
      const second = await ctx.store.schedules.listSchedules(NS_ID, {
        pageSize: 2,
        pageToken: first.nextPageToken,
      });
      assert.deepEqual(
        second.items.map((s) => s.scheduleId),
        ['s-c', 's-d'],
      );
      assert.equal(await ctx.store.schedules.countSchedules(NS_ID), 4);
      assert.equal(await ctx.store.schedules.deleteSchedule(NS_ID, 's-d'), true);
      assert.equal(await ctx.store.schedules.deleteSchedule(NS_ID, 's-d'), false);
      assert.equal(await ctx.store.schedules.countSchedules(NS_ID), 3);
    });
  });
}

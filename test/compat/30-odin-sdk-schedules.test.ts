// Scenario 30: schedules between @odin/sdk's schedule client and the official SDK 1.24's, both ways, on every
// database, with the same AES-GCM payload codec on both clients: a schedule @odin/sdk creates describes, lists,
// pauses and deletes correctly through the official client (and its workflow runs on an @odin/sdk worker); one the
// official client creates describes and updates correctly through @odin/sdk.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  Client,
  ScheduleAlreadyRunning as OfficialScheduleAlreadyRunning,
  ScheduleNotFoundError as OfficialScheduleNotFoundError,
} from '@temporalio/client';
import { AesGcmPayloadCodec } from '@odin/sdk/codec';
import {
  Connection,
  ScheduleAlreadyRunning,
  type ScheduleDescription,
  type ScheduleHandle,
  WorkflowClient,
} from '@odin/sdk/client';
import { Worker } from '@odin/sdk/worker';
import { compatSuite } from './harness.js';
import * as odinWorkflows from './odin-sdk-schedule-workflows.js';

const codec = new AesGcmPayloadCodec({ keys: { s1: randomBytes(32) }, currentKeyId: 's1' });

async function describeUntil(
  handle: ScheduleHandle,
  done: (d: ScheduleDescription) => boolean,
): Promise<ScheduleDescription> {
  for (let i = 0; i < 300; i++) {
    const d = await handle.describe();
    if (done(d)) return d;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`schedule ${handle.scheduleId}: condition not reached`);
}

/** The official client leaves unset optional fields as keys holding undefined; ours leaves them out. */
function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * An hourly interval's offset in minutes that puts its next action about half an hour from now (intervals count from
 * the epoch, so from the top of each UTC hour). Nothing the schedule does on its own then falls inside the test: an
 * action taken between two reads would change the upcoming times and the remaining actions the test compares.
 */
function offsetMinutesAwayFromNow(): number {
  // Never 0: the official client describes a zero offset as undefined (see the second test).
  return (new Date().getUTCMinutes() + 30) % 60 || 1;
}

compatSuite('scenario 30: schedules between @odin/sdk and the official SDK', (env) => {
  test('a schedule @odin/sdk creates reads the same through the official client', async () => {
    const e = env();
    const taskQueue = e.taskQueue('odin-sched');
    const scheduleId = `odin-sched-${taskQueue}`;
    const offsetMinutes = offsetMinutesAwayFromNow();
    const connection = Connection.connect({ address: e.server.address });
    const ours = new WorkflowClient({ connection, payloadCodecs: [codec] });
    const official = new Client({
      connection: e.client.connection,
      dataConverter: { payloadCodecs: [codec] },
    });
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflows: odinWorkflows,
      payloadCodecs: [codec],
      shutdownGraceMs: 1000,
    });
    const running = worker.run();
    try {
      const handle = await ours.schedule.create({
        scheduleId,
        spec: {
          calendars: [
            {
              hour: [9, { start: 14, end: 18, step: 2 }],
              dayOfWeek: 'MONDAY',
              month: ['MARCH'],
              comment: 'c',
            },
          ],
          intervals: [{ every: '1h', offset: `${offsetMinutes}m` }],
          skip: [{ dayOfMonth: 1, hour: '*', minute: '*' }],
          startAt: new Date('2026-01-01T00:00:00Z'),
          endAt: new Date('2099-01-01T00:00:00Z'),
          jitter: '2s',
          timezone: 'Europe/Berlin',
        },
        action: {
          type: 'startWorkflow',
          workflowType: odinWorkflows.odinScheduled,
          workflowId: `odin-sched-wf-${taskQueue}`,
          taskQueue,
          args: ['ops', 7],
          memo: { owner: 'ada' },
          retry: { maximumAttempts: 3, initialInterval: '2s' },
          workflowRunTimeout: '10m',
        },
        policies: { overlap: 'BUFFER_ONE', catchupWindow: '5m', pauseOnFailure: true },
        state: { note: 'created by @odin/sdk', remainingActions: 10, triggerImmediately: true },
        memo: { purpose: 'interop' },
        searchAttributes: { CustomKeywordField: ['odin'] },
      });
      const mine = await describeUntil(handle, (d) => d.info.recentActions.length === 1);
      const theirs = await official.schedule.getHandle(scheduleId).describe();

      assert.deepEqual(theirs.spec.calendars, mine.spec.calendars);
      assert.deepEqual(theirs.spec.calendars?.[0]?.dayOfWeek, [{ start: 'MONDAY', end: 'MONDAY', step: 1 }]);
      assert.deepEqual(theirs.spec.calendars?.[0]?.hour, [
        { start: 9, end: 9, step: 1 },
        { start: 14, end: 18, step: 2 },
      ]);
      assert.deepEqual(theirs.spec.intervals, [{ every: 3_600_000, offset: offsetMinutes * 60_000 }]);
      assert.deepEqual(theirs.spec.skip, mine.spec.skip);
      assert.deepEqual(theirs.spec.startAt, new Date('2026-01-01T00:00:00Z'));
      assert.deepEqual(theirs.spec.endAt, new Date('2099-01-01T00:00:00Z'));
      assert.equal(theirs.spec.jitter, 2000);
      assert.equal(theirs.spec.timezone, 'Europe/Berlin');

      assert.equal(theirs.action.type, 'startWorkflow');
      assert.equal(theirs.action.workflowType, 'odinScheduled');
      assert.equal(theirs.action.workflowId, `odin-sched-wf-${taskQueue}`);
      assert.equal(theirs.action.taskQueue, taskQueue);
      assert.deepEqual(theirs.action.args, ['ops', 7], 'the official codec decodes our encrypted arguments');
      assert.deepEqual(theirs.action.memo, { owner: 'ada' });
      assert.equal(theirs.action.retry?.maximumAttempts, 3);
      assert.equal(theirs.action.workflowRunTimeout, 600_000);

      assert.deepEqual(theirs.policies, {
        overlap: 'BUFFER_ONE',
        catchupWindow: 300_000,
        pauseOnFailure: true,
      });
      assert.deepEqual(mine.policies, theirs.policies);
      assert.deepEqual(theirs.state, { paused: false, note: 'created by @odin/sdk', remainingActions: 10 });
      assert.deepEqual(mine.state, theirs.state);
      assert.deepEqual(theirs.memo, { purpose: 'interop' });
      assert.deepEqual(theirs.searchAttributes.CustomKeywordField, ['odin']);
      assert.deepEqual(theirs.info.recentActions, mine.info.recentActions);
      assert.deepEqual(theirs.info.nextActionTimes, mine.info.nextActionTimes);
      assert.equal(theirs.info.numActionsTaken, mine.info.numActionsTaken);
      assert.deepEqual(theirs.info.createdAt, mine.info.createdAt);

      const started = mine.info.recentActions[0]!.action.workflow;
      assert.equal(
        await official.workflow.getHandle(started.workflowId, started.firstExecutionRunId).result(),
        'ops:7:ada',
        'the scheduled workflow ran on the @odin/sdk worker',
      );

      const listed = [];
      for await (const s of official.schedule.list({ query: `ScheduleId = '${scheduleId}'` })) listed.push(s);
      assert.deepEqual(
        listed.map((s) => s.scheduleId),
        [scheduleId],
      );
      const oursListed = [];
      for await (const s of ours.schedule.list({ query: `ScheduleId = '${scheduleId}'` })) oursListed.push(s);
      assert.deepEqual(oursListed[0]?.memo, listed[0]?.memo);
      assert.deepEqual(oursListed[0]?.spec, listed[0]?.spec);
      assert.deepEqual(oursListed[0]?.action, listed[0]?.action);

      await official.schedule.getHandle(scheduleId).pause('paused by the official client');
      assert.deepEqual((await handle.describe()).state, {
        paused: true,
        note: 'paused by the official client',
        remainingActions: 10,
      });
      await assert.rejects(
        official.schedule.create({
          scheduleId,
          spec: { intervals: [{ every: '1h' }] },
          action: { type: 'startWorkflow', workflowType: 'odinScheduled', taskQueue },
        }),
        OfficialScheduleAlreadyRunning,
      );
      await handle.delete();
      await assert.rejects(official.schedule.getHandle(scheduleId).describe(), OfficialScheduleNotFoundError);
    } finally {
      worker.shutdown();
      await running;
      connection.close();
    }
  });

  test('a schedule the official client creates reads and updates the same through @odin/sdk', async () => {
    const e = env();
    const taskQueue = e.taskQueue('official-sched');
    const scheduleId = `official-sched-${taskQueue}`;
    const connection = Connection.connect({ address: e.server.address });
    const ours = new WorkflowClient({ connection, payloadCodecs: [codec] });
    const official = new Client({
      connection: e.client.connection,
      dataConverter: { payloadCodecs: [codec] },
    });
    try {
      await official.schedule.create({
        scheduleId,
        spec: {
          calendars: [{ minute: 30, hour: '*', dayOfMonth: { start: 1, end: 15 }, month: 'JUNE' }],
          cronExpressions: ['15 4 * * FRI'],
          timezone: 'America/New_York',
        },
        action: {
          type: 'startWorkflow',
          workflowType: 'odinScheduled',
          taskQueue,
          args: ['from-official', 1],
          memo: { owner: 'grace' },
        },
        policies: { overlap: 'CANCEL_OTHER' },
        state: { paused: true, note: 'official' },
        memo: { made: 'official' },
      });
      const handle = ours.schedule.getHandle(scheduleId);
      const mine = await handle.describe();
      const theirs = await official.schedule.getHandle(scheduleId).describe();
      assert.deepEqual(mine.spec.calendars, theirs.spec.calendars);
      assert.equal(mine.spec.calendars.length, 2);
      assert.equal(mine.spec.timezone, 'America/New_York');
      assert.deepEqual(mine.action.args, ['from-official', 1], 'our codec decodes the official arguments');
      assert.deepEqual(mine.action.memo, { owner: 'grace' });
      assert.equal(mine.action.workflowId, `${scheduleId}-workflow`, 'the same default workflow id');
      assert.deepEqual(mine.policies, theirs.policies);
      assert.equal(mine.policies.overlap, 'CANCEL_OTHER');
      assert.deepEqual(mine.state, withoutUndefined(theirs.state));
      assert.deepEqual(mine.memo, { made: 'official' });

      await handle.update((previous) => ({
        ...previous,
        spec: { intervals: [{ every: '30m' }] },
        action: { ...previous.action, args: ['updated', 2] },
        state: { paused: false, note: 'updated by @odin/sdk' },
      }));
      const updated = await official.schedule.getHandle(scheduleId).describe();
      assert.deepEqual(updated.action.args, ['updated', 2]);
      assert.deepEqual(updated.action.memo, { owner: 'grace' });
      // (The official client describes a zero offset as undefined, its type notwithstanding.)
      assert.deepEqual(
        updated.spec.intervals?.map((i) => [i.every, i.offset ?? 0]),
        [[1_800_000, 0]],
      );
      assert.deepEqual(updated.spec.calendars, []);
      assert.deepEqual(withoutUndefined(updated.state), { paused: false, note: 'updated by @odin/sdk' });
      assert.equal(updated.policies.overlap, 'CANCEL_OTHER');
      await assert.rejects(
        ours.schedule.create({
          scheduleId,
          spec: { intervals: [{ every: '1h' }] },
          action: { workflowType: 'odinScheduled', taskQueue },
        }),
        ScheduleAlreadyRunning,
      );
      await official.schedule.getHandle(scheduleId).delete();
    } finally {
      connection.close();
    }
  });
});

// The schedule client end to end on the dev server: create with every kind of spec, describe, list, trigger,
// backfill, pause/unpause, update, delete, and the typed errors.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startDevServer } from '@odin/server';
import {
  Connection,
  ScheduleAlreadyRunning,
  ScheduleClient,
  type ScheduleDescription,
  ScheduleNotFoundError,
  WorkflowClient,
} from '../src/client/index.js';

let server: Awaited<ReturnType<typeof startDevServer>>;
let connection: Connection;
let schedules: ScheduleClient;
let workflows: WorkflowClient;

before(async () => {
  server = await startDevServer({ port: 0 });
  connection = Connection.connect({ address: server.address });
  schedules = new ScheduleClient({ connection });
  workflows = new WorkflowClient({ connection });
});

after(async () => {
  connection.close();
  await server.stop();
});

async function until(id: string, done: (d: ScheduleDescription) => boolean): Promise<ScheduleDescription> {
  for (let i = 0; i < 300; i++) {
    const d = await schedules.getHandle(id).describe();
    if (done(d)) return d;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not reached');
}

test('create, describe and list a schedule; the typed errors', async () => {
  const handle = await schedules.create({
    scheduleId: 'sdk-sched-a',
    spec: {
      calendars: [{ hour: 9, minute: [0, 30], dayOfWeek: ['MONDAY', 'FRIDAY'], month: '*' }],
      intervals: [{ every: '2h', offset: '15m' }],
      cronExpressions: ['@daily'],
      skip: [{ month: 'DECEMBER', dayOfMonth: 25, hour: '*', minute: '*' }],
      timezone: 'Asia/Tokyo',
      jitter: '1s',
    },
    action: { workflowType: 'greeting', workflowId: 'sdk-sched-a-wf', taskQueue: 'nobody', args: ['x'] },
    policies: { overlap: 'BUFFER_ALL', catchupWindow: '1m' },
    state: { paused: true, note: 'hold', remainingActions: 5 },
    memo: { team: 'a' },
  });
  const d = await handle.describe();
  assert.equal(d.policies.overlap, 'BUFFER_ALL');
  assert.equal(d.policies.catchupWindow, 60_000);
  assert.deepEqual(d.state, { paused: true, note: 'hold', remainingActions: 5 });
  assert.equal(d.spec.timezone, 'Asia/Tokyo');
  assert.deepEqual(d.spec.intervals, [{ every: 7_200_000, offset: 900_000 }]);
  assert.equal(d.spec.calendars.length, 2);
  assert.deepEqual(d.spec.calendars[0]?.dayOfWeek, [
    { start: 1, end: 1, step: 1 },
    { start: 5, end: 5, step: 1 },
  ]);
  assert.equal(d.spec.skip.length, 1);
  assert.deepEqual(d.action.args, ['x']);
  assert.deepEqual(d.memo, { team: 'a' });
  assert.equal(d.info.nextActionTimes.length, 5);
  const listed = [];
  for await (const s of schedules.list()) listed.push(s.scheduleId);
  assert.ok(listed.includes('sdk-sched-a'));
  const paused = [];
  for await (const s of schedules.list({
    query: "TemporalSchedulePaused = true AND ScheduleId = 'sdk-sched-a'",
  }))
    paused.push(s.scheduleId);
  assert.deepEqual(paused, ['sdk-sched-a']);
  await assert.rejects(
    schedules.create({
      scheduleId: 'sdk-sched-a',
      spec: { intervals: [{ every: '1h' }] },
      action: { workflowType: 'greeting', workflowId: 'w', taskQueue: 'nobody' },
    }),
    ScheduleAlreadyRunning,
  );
  await assert.rejects(
    schedules.create({
      scheduleId: 'sdk-sched-bad',
      spec: { intervals: [{ every: '1h' }] },
      action: { workflowType: 'greeting', workflowId: 'w', taskQueue: '' },
    }),
    (e: { code?: number; message?: string }) => e.code === 3 && /TaskQueue/.test(e.message ?? ''),
  );
  await assert.rejects(
    schedules.create({
      scheduleId: 'sdk-sched-bad',
      spec: { cronExpressions: ['0 25 * * *'] },
      action: { workflowType: 'greeting', workflowId: 'w', taskQueue: 'q' },
    }),
    (e: { code?: number; message?: string }) => e.code === 3 && /hour/.test(e.message ?? ''),
  );
  await handle.delete();
  await assert.rejects(handle.describe(), ScheduleNotFoundError);
});

test('trigger and backfill start workflows; pause, unpause and update change the schedule', async () => {
  const handle = await schedules.create({
    scheduleId: 'sdk-sched-b',
    spec: { intervals: [{ every: '1m' }] },
    action: { workflowType: 'greeting', workflowId: 'sdk-sched-b-wf', taskQueue: 'nobody' },
    state: { paused: true },
  });
  await handle.trigger();
  const triggered = await until('sdk-sched-b', (d) => d.info.numActionsTaken === 1);
  const started = triggered.info.recentActions[0]!.workflow;
  assert.equal((await workflows.describe(started.workflowId, started.firstExecutionRunId)).status, 'RUNNING');
  await handle.backfill({
    start: new Date('2025-01-01T00:00:00Z'),
    end: new Date('2025-01-01T00:01:00Z'),
    overlap: 'ALLOW_ALL',
  });
  const backfilled = await until('sdk-sched-b', (d) => d.info.numActionsTaken === 3);
  assert.ok(
    backfilled.info.recentActions.some(
      (a) => a.workflow.workflowId === 'sdk-sched-b-wf-2025-01-01T00:01:00Z',
    ),
  );
  await handle.unpause('on');
  await handle.pause('off');
  assert.deepEqual((await handle.describe()).state, { paused: true, note: 'off' });
  await handle.update((previous) => ({
    spec: { cronExpressions: ['0 12 * * *'] },
    action: { ...previous.action, args: ['y'] },
    policies: { overlap: 'SKIP' },
    state: { paused: true, note: 'updated' },
  }));
  const updated = await handle.describe();
  assert.deepEqual(updated.action.args, ['y']);
  assert.equal(updated.spec.calendars[0]?.hour[0]?.start, 12);
  assert.equal(updated.state.note, 'updated');
  for (const a of backfilled.info.runningActions)
    await workflows.terminate(a.workflow.workflowId, undefined, 'done');
  await handle.delete();
});

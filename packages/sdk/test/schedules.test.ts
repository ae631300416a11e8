// The schedule client end to end on the dev server: a schedule (created through `client.schedule`, payloads
// AES-GCM encrypted) starting a typed workflow that an @odin/sdk worker runs; every kind of spec described back;
// list with paging and a query; trigger, backfill, pause/unpause, update, matching times, delete; the typed errors
// (thrown and as Results); a create interceptor whose header reaches the started workflows.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { startDevServer } from '@odin/server';
import {
  asResult,
  ClientErrorCodes,
  Connection,
  ScheduleAlreadyRunning,
  type ScheduleClient,
  type ScheduleDescription,
  ScheduleNotFoundError,
  ServiceCallError,
  WorkflowClient,
} from '../src/client/index.js';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING } from '../src/codec/aes-gcm-codec.js';
import { defaultPayloadConverter, encodingOf } from '../src/common/payload.js';
import { Worker } from '../src/worker/index.js';
import * as scheduledWorkflows from './workflows/scheduled.js';
import { scheduledReport } from './workflows/scheduled.js';

const codec = new AesGcmPayloadCodec({ keys: { k1: randomBytes(32) }, currentKeyId: 'k1' });
const taskQueue = 'sdk-schedules';

let server: Awaited<ReturnType<typeof startDevServer>>;
let connection: Connection;
let client: WorkflowClient;
let schedules: ScheduleClient;
let worker: Worker;
let running: Promise<void>;

before(async () => {
  server = await startDevServer({ port: 0 });
  connection = Connection.connect({ address: server.address });
  client = new WorkflowClient({
    connection,
    payloadCodecs: [codec],
    scheduleInterceptors: [
      {
        create: (input, next) =>
          next({
            ...input,
            headers: { ...input.headers, origin: defaultPayloadConverter.toPayload('test') },
          }),
      },
    ],
  });
  schedules = client.schedule;
  worker = await Worker.create({
    connection,
    taskQueue,
    workflows: scheduledWorkflows,
    payloadCodecs: [codec],
  });
  running = worker.run();
});

after(async () => {
  worker.shutdown();
  await running;
  connection.close();
  await server.stop();
});

async function until(id: string, done: (d: ScheduleDescription) => boolean): Promise<ScheduleDescription> {
  for (let i = 0; i < 400; i++) {
    const d = await schedules.getHandle(id).describe();
    if (done(d)) return d;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`schedule ${id}: condition not reached`);
}

test('a schedule starts a typed workflow that an @odin/sdk worker runs; payloads are encrypted on the server', async () => {
  const handle = await schedules.create({
    scheduleId: 'sdk-sched-run',
    spec: { intervals: [{ every: '1h' }] },
    action: {
      type: 'startWorkflow',
      workflowType: scheduledReport,
      taskQueue,
      args: ['ops', 3],
      memo: { owner: 'grace' },
    },
    state: { triggerImmediately: true },
    memo: { purpose: 'reports' },
  });
  const d = await until('sdk-sched-run', (x) => x.info.recentActions.length === 1);
  const started = d.info.recentActions[0]!.action.workflow;
  assert.match(
    started.workflowId,
    /^sdk-sched-run-workflow-/,
    'the default workflow id is <scheduleId>-workflow',
  );
  const result = await client.result<typeof scheduledReport>(started.workflowId, started.firstExecutionRunId);
  assert.equal(result, 'ops:3:grace');
  assert.deepEqual(d.action.args, ['ops', 3]);
  assert.deepEqual(d.action.memo, { owner: 'grace' });
  assert.deepEqual(d.memo, { purpose: 'reports' });
  assert.equal(d.action.workflowType, 'scheduledReport');
  // Stored encrypted: the raw service sees only ciphertext for the arguments and memos; the header is plain.
  const raw = await connection.call('describeSchedule', {
    namespace: 'default',
    scheduleId: 'sdk-sched-run',
  });
  const start = raw.schedule?.action?.startWorkflow;
  assert.equal(encodingOf(start?.input?.payloads?.[0]), ENCRYPTED_ENCODING);
  assert.equal(encodingOf(start?.memo?.fields?.owner), ENCRYPTED_ENCODING);
  assert.equal(encodingOf(raw.memo?.fields?.purpose), ENCRYPTED_ENCODING);
  assert.equal(defaultPayloadConverter.fromPayload(start!.header!.fields!.origin!), 'test');
  const history = await client.fetchHistory(started.workflowId, started.firstExecutionRunId);
  const header = history[0]?.workflowExecutionStartedEventAttributes?.header?.fields?.origin;
  assert.equal(
    defaultPayloadConverter.fromPayload(header!),
    'test',
    'the header reaches the started workflow',
  );
  await handle.delete();
});

test('every kind of spec, policies and state are described back; list pages and queries', async () => {
  const handle = await schedules.create({
    scheduleId: 'sdk-sched-spec',
    spec: {
      calendars: [
        {
          hour: 9,
          minute: [0, { start: 30, end: 50, step: 10 }],
          dayOfWeek: ['MONDAY', 'FRIDAY'],
          comment: 'mf',
        },
      ],
      intervals: [{ every: '2h', offset: '15m' }],
      cronExpressions: ['0 12 * * *'],
      skip: [{ month: 'DECEMBER', dayOfMonth: 25, hour: '*', minute: '*' }],
      startAt: new Date('2026-01-01T00:00:00Z'),
      endAt: new Date('2099-01-01T00:00:00Z'),
      timezone: 'Asia/Tokyo',
      jitter: '1s',
    },
    action: {
      workflowType: 'scheduledReport',
      workflowId: 'spec-wf',
      taskQueue: 'nobody',
      args: ['x', 1],
      retry: { maximumAttempts: 2 },
      workflowRunTimeout: '1m',
    },
    policies: { overlap: 'BUFFER_ALL', catchupWindow: '1m', pauseOnFailure: true },
    state: { paused: true, note: 'hold', remainingActions: 5 },
    searchAttributes: { CustomKeywordField: 'spec' },
  });
  const d = await handle.describe();
  assert.deepEqual(d.policies, { overlap: 'BUFFER_ALL', catchupWindow: 60_000, pauseOnFailure: true });
  assert.deepEqual(d.state, { paused: true, note: 'hold', remainingActions: 5 });
  assert.equal(d.spec.timezone, 'Asia/Tokyo');
  assert.equal(d.spec.jitter, 1000);
  assert.deepEqual(d.spec.startAt, new Date('2026-01-01T00:00:00Z'));
  assert.deepEqual(d.spec.endAt, new Date('2099-01-01T00:00:00Z'));
  assert.deepEqual(d.spec.intervals, [{ every: 7_200_000, offset: 900_000 }]);
  assert.equal(d.spec.calendars.length, 2, 'the cron expression comes back as a calendar');
  const [calendar, cron] = d.spec.calendars;
  assert.deepEqual(calendar?.dayOfWeek, [
    { start: 'MONDAY', end: 'MONDAY', step: 1 },
    { start: 'FRIDAY', end: 'FRIDAY', step: 1 },
  ]);
  assert.deepEqual(calendar?.minute, [
    { start: 0, end: 0, step: 1 },
    { start: 30, end: 50, step: 10 },
  ]);
  assert.equal(calendar?.comment, 'mf');
  assert.equal(cron?.hour[0]?.start, 12);
  assert.deepEqual(d.spec.skip[0]?.month, [{ start: 'DECEMBER', end: 'DECEMBER', step: 1 }]);
  assert.deepEqual(d.action.args, ['x', 1]);
  assert.equal(d.action.workflowId, 'spec-wf');
  assert.equal(d.action.retry?.maximumAttempts, 2);
  assert.equal(d.action.workflowRunTimeout, 60_000);
  assert.equal(d.memo, undefined, 'no memo is undefined, as in the official client');
  assert.equal(d.searchAttributes.CustomKeywordField, 'spec');
  assert.ok(d.info.createdAt.getTime() > 0);
  assert.equal(d.info.nextActionTimes.length > 0, true);

  const times = await handle.matchingTimes(
    new Date('2026-03-02T00:00:00Z'),
    new Date('2026-03-02T06:00:00Z'),
  );
  assert.ok(times.length > 0);
  for (const t of times)
    assert.ok(t >= new Date('2026-03-02T00:00:00Z') && t <= new Date('2026-03-02T06:00:00Z'));

  await schedules.create({
    scheduleId: 'sdk-sched-spec-2',
    spec: { intervals: [{ every: '1d' }] },
    action: { workflowType: 'scheduledReport', taskQueue: 'nobody' },
  });
  const firstPage = await connection.call('listSchedules', { namespace: 'default', maximumPageSize: 1 });
  assert.equal(firstPage.schedules.length, 1, 'pages of one, so list() has to follow the page tokens');
  assert.ok(firstPage.nextPageToken.length > 0);
  const paged: string[] = [];
  for await (const s of schedules.list({ pageSize: 1 })) paged.push(s.scheduleId);
  assert.deepEqual(paged.filter((id) => id.startsWith('sdk-sched-spec')).sort(), [
    'sdk-sched-spec',
    'sdk-sched-spec-2',
  ]);
  const typed = {
    scheduleId: 'never-created',
    spec: {},
    // @ts-expect-error: the workflow function types the arguments (a number is missing)
    action: { workflowType: scheduledReport, taskQueue: 'nobody', args: ['x'] },
  } satisfies Parameters<typeof schedules.create<typeof scheduledReport>>[0];
  assert.ok(typed);
  const matched = [];
  for await (const s of schedules.list({ query: 'TemporalSchedulePaused = true' })) matched.push(s);
  assert.deepEqual(
    matched.map((s) => s.scheduleId),
    ['sdk-sched-spec'],
    'the query is sent (the other schedule is not paused)',
  );
  assert.deepEqual(matched[0]?.state, { paused: true, note: 'hold' });
  assert.deepEqual(matched[0]?.action, { type: 'startWorkflow', workflowType: 'scheduledReport' });
  assert.equal(matched[0]?.spec?.intervals[0]?.every, 7_200_000);
  await handle.delete();
  await schedules.getHandle('sdk-sched-spec-2').delete();
});

test('trigger and backfill start workflows; pause, unpause and update change the schedule', async () => {
  const handle = await schedules.create({
    scheduleId: 'sdk-sched-ops',
    // Ends before the test runs: the 2025 backfill still matches it, and unpausing it can never take an action of
    // its own between the unpause and the pause, which would change the count of actions the test waits for.
    spec: { intervals: [{ every: '1m' }], endAt: new Date('2025-06-01T00:00:00Z') },
    action: {
      workflowType: scheduledReport,
      workflowId: 'ops-wf',
      taskQueue,
      args: ['t', 1],
      memo: { owner: 'o' },
    },
    state: { paused: true },
  });
  await handle.trigger();
  const triggered = await until('sdk-sched-ops', (d) => d.info.numActionsTaken === 1);
  const first = triggered.info.recentActions[0]!.action.workflow;
  assert.equal(await client.result(first.workflowId, first.firstExecutionRunId), 't:1:o');
  await handle.backfill([
    { start: new Date('2025-01-01T00:00:00Z'), end: new Date('2025-01-01T00:01:00Z'), overlap: 'ALLOW_ALL' },
  ]);
  const backfilled = await until('sdk-sched-ops', (d) => d.info.numActionsTaken === 3);
  assert.ok(
    backfilled.info.recentActions.some((a) => a.action.workflow.workflowId === 'ops-wf-2025-01-01T00:01:00Z'),
  );
  await handle.unpause('on');
  assert.deepEqual((await handle.describe()).state, { paused: false, note: 'on' });
  await handle.pause('off');
  assert.deepEqual((await handle.describe()).state, { paused: true, note: 'off' });
  await handle.update<typeof scheduledReport>((previous) => ({
    ...previous,
    spec: { cronExpressions: ['0 12 * * *'] },
    action: { ...previous.action, workflowType: scheduledReport, args: ['u', 2] },
    policies: { overlap: 'SKIP' },
    state: { paused: true, note: 'updated' },
    searchAttributes: { CustomKeywordField: 'after-update' },
  }));
  const updated = await handle.describe();
  assert.deepEqual(updated.action.args, ['u', 2]);
  assert.deepEqual(updated.action.memo, { owner: 'o' });
  assert.equal(updated.spec.intervals.length, 0);
  assert.equal(updated.spec.calendars[0]?.hour[0]?.start, 12);
  assert.equal(updated.state.note, 'updated');
  assert.deepEqual(updated.searchAttributes, { CustomKeywordField: 'after-update' });
  assert.ok(updated.info.lastUpdatedAt instanceof Date);
  assert.equal(
    defaultPayloadConverter.fromPayload(updated.raw.schedule!.action!.startWorkflow!.header!.fields!.origin!),
    'test',
    'an update keeps the headers',
  );
  await handle.trigger();
  const after = await until('sdk-sched-ops', (d) => d.info.numActionsTaken === 4);
  const last = after.info.recentActions.at(-1)!.action.workflow;
  assert.equal(await client.result(last.workflowId, last.firstExecutionRunId), 'u:2:o');
  await handle.delete();
});

test('typed errors: ScheduleAlreadyRunning and ScheduleNotFoundError, thrown or as Results', async () => {
  const options = {
    scheduleId: 'sdk-sched-err',
    spec: { intervals: [{ every: '1h' }] },
    action: { workflowType: 'scheduledReport', taskQueue: 'nobody' },
  };
  const handle = await schedules.create(options);
  await assert.rejects(schedules.create(options), (error: unknown) => {
    assert.ok(error instanceof ScheduleAlreadyRunning);
    assert.equal(error.scheduleId, 'sdk-sched-err');
    return true;
  });
  const duplicate = await asResult(schedules.create(options));
  assert.equal(duplicate.ok ? undefined : duplicate.error.code, ClientErrorCodes.scheduleAlreadyRunning);
  await handle.delete();
  await assert.rejects(handle.describe(), ScheduleNotFoundError);
  await assert.rejects(handle.pause(), ScheduleNotFoundError);
  await assert.rejects(handle.delete(), ScheduleNotFoundError);
  const missing = await asResult(handle.describe());
  assert.equal(missing.ok ? undefined : missing.error.code, ClientErrorCodes.scheduleNotFound);
  // Refused before any call, as the official client does.
  await assert.rejects(
    schedules.create({ ...options, scheduleId: 'sdk-sched-bad', state: { remainingActions: -1 } }),
    TypeError,
  );
  await assert.rejects(
    schedules.create({
      ...options,
      scheduleId: 'sdk-sched-bad',
      action: { ...options.action, taskQueue: '' },
    }),
    TypeError,
  );
  // Refused by the server: INVALID_ARGUMENT, nothing created.
  await assert.rejects(
    schedules.create({ ...options, scheduleId: 'sdk-sched-bad', spec: { cronExpressions: ['0 25 * * *'] } }),
    (e: unknown) => e instanceof ServiceCallError && e.code === 3 && /hour/.test(e.message),
  );
  await assert.rejects(schedules.getHandle('sdk-sched-bad').describe(), ScheduleNotFoundError);
});

// Schedules through the official SDK's schedule client: create (interval, calendar, cron, memo, search
// attributes), describe, list, matching times, trigger, backfill, pause/unpause, update, delete, the overlap policy
// of a trigger, a schedule firing by itself, and a schedule that goes on after the server restarts.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  Client,
  Connection,
  type ScheduleDescription,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
} from '@temporalio/client';
import { createDatabaseIfMissing, dropDatabase, startDevServer } from '@odin/server';
import { MYSQL_ADMIN_URL, PG_ADMIN_URL } from '@odin/test-databases';
import { type AuthServer, grpcCode, startAuthServer } from './auth-fixtures.js';
import { type CompatEnv, compatSuite, databasesUnderTest, installRuntime } from './harness.js';
import { waitFor } from './polling.js';

const eventually = <T>(label: string, probe: () => Promise<T | undefined>) => waitFor(label, probe, 30_000);

const MINUTE = 60_000;

async function describeUntil(
  e: CompatEnv,
  scheduleId: string,
  label: string,
  done: (d: ScheduleDescription) => boolean,
): Promise<ScheduleDescription> {
  return eventually(label, async () => {
    const d = await e.client.schedule.getHandle(scheduleId).describe();
    return done(d) ? d : undefined;
  });
}

compatSuite('scenario 27: schedules', (env) => {
  test('create with every kind of spec, memo and search attributes; describe, list and matching times', async () => {
    const e = env();
    const taskQueue = e.taskQueue('sched-create');
    const scheduleId = `sched-create-${taskQueue}`;
    const handle = await e.client.schedule.create({
      scheduleId,
      spec: {
        intervals: [{ every: '1h', offset: '5m' }],
        calendars: [{ hour: 12, dayOfWeek: 'MONDAY', comment: 'noon on mondays' }],
        cronExpressions: ['30 2 * * *'],
        skip: [{ hour: 12, dayOfWeek: 'MONDAY', month: 'JANUARY' }],
        jitter: '10s',
        timezone: 'Europe/Paris',
      },
      action: {
        type: 'startWorkflow',
        workflowType: 'greeting',
        args: ['Ada'],
        taskQueue,
        workflowId: `wf-${scheduleId}`,
      },
      policies: { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: '5m', pauseOnFailure: true },
      state: { paused: true, note: 'created paused', remainingActions: 3 },
      memo: { owner: 'ops' },
      searchAttributes: { CustomKeywordField: ['sched'] },
    });
    const d = await handle.describe();
    assert.equal(d.scheduleId, scheduleId);
    assert.equal(d.state.paused, true);
    assert.equal(d.state.note, 'created paused');
    assert.equal(d.state.remainingActions, 3);
    assert.equal(d.policies.overlap, ScheduleOverlapPolicy.BUFFER_ONE);
    assert.equal(d.policies.catchupWindow, 5 * MINUTE);
    assert.equal(d.policies.pauseOnFailure, true);
    assert.equal(d.spec.timezone, 'Europe/Paris');
    assert.equal(d.spec.jitter, 10_000);
    assert.deepEqual(d.spec.intervals, [{ every: 3_600_000, offset: 300_000 }]);
    // The cron string comes back as a calendar, beside the one given as a calendar.
    assert.equal(d.spec.calendars?.length, 2);
    const cron = d.spec.calendars?.find((c) => c.hour?.[0]?.start === 2);
    assert.ok(cron, JSON.stringify(d.spec.calendars));
    assert.deepEqual(cron.minute, [{ start: 30, end: 30, step: 1 }]);
    assert.equal(d.spec.skip?.length, 1);
    assert.deepEqual(d.memo, { owner: 'ops' });
    assert.ok(d.info.nextActionTimes.length > 0 && d.info.nextActionTimes.length <= 3);
    const times = d.info.nextActionTimes.map((t) => t.getTime());
    assert.deepEqual(
      [...times].sort((a, b) => a - b),
      times,
    );
    assert.equal(d.action.type, 'startWorkflow');
    assert.equal(d.action.workflowType, 'greeting');

    const listed = [];
    for await (const entry of e.client.schedule.list()) listed.push(entry);
    const entry = listed.find((s) => s.scheduleId === scheduleId);
    const matching = async (query: string) => {
      const ids: string[] = [];
      for await (const s of e.client.schedule.list({ query })) ids.push(s.scheduleId);
      return ids;
    };
    assert.deepEqual(await matching(`ScheduleId = '${scheduleId}' AND CustomKeywordField = 'sched'`), [
      scheduleId,
    ]);
    assert.deepEqual(await matching(`ScheduleId = '${scheduleId}' AND TemporalSchedulePaused = false`), []);
    assert.ok(entry);
    assert.equal(entry.state.paused, true);
    assert.equal(entry.action?.workflowType, 'greeting');

    const start = Date.parse('2030-03-04T00:00:00Z');
    const matchingTimes = (await e.client.workflowService.listScheduleMatchingTimes({
      namespace: 'default',
      scheduleId,
      startTime: { seconds: start / 1000 },
      endTime: { seconds: (start + 3 * 3_600_000) / 1000 },
    } as never)) as { startTime?: { seconds?: unknown }[] };
    // 00:05, 01:05, 02:05 UTC from the interval and 02:30 Paris (01:30 UTC) from the cron string, jitter below 10 s.
    const got = (matchingTimes.startTime ?? []).map((t) => Number(t.seconds) * 1000 - start);
    assert.equal(got.length, 4, JSON.stringify(got));
    const expected = [5 * MINUTE, 65 * MINUTE, 90 * MINUTE, 125 * MINUTE];
    for (const [i, offset] of got.entries())
      assert.ok(offset >= expected[i]! && offset < expected[i]! + 10_000, `${offset}`);
    await handle.delete();
  });

  test('trigger starts the workflow with the schedule’s search attributes; describe shows the action', async () => {
    const e = env();
    const taskQueue = e.taskQueue('sched-trigger');
    const scheduleId = `sched-trigger-${taskQueue}`;
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1d' }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'greeting',
          args: ['Bo'],
          taskQueue,
          workflowId: `wf-${scheduleId}`,
        },
        state: { paused: true },
      });
      await handle.trigger();
      const d = await describeUntil(
        e,
        scheduleId,
        'the triggered action',
        (x) => x.info.recentActions.length > 0,
      );
      const action = d.info.recentActions[0]!;
      assert.ok(action.action.workflow.workflowId.startsWith(`wf-${scheduleId}-`));
      const run = e.client.workflow.getHandle(
        action.action.workflow.workflowId,
        action.action.workflow.firstExecutionRunId,
      );
      assert.equal(await run.result(), 'Hello, Bo!');
      const described = await run.describe();
      assert.deepEqual(described.searchAttributes.TemporalScheduledById, [scheduleId]);
      assert.ok(described.searchAttributes.TemporalScheduledStartTime?.[0] instanceof Date);
      assert.equal(d.info.numActionsTaken, 1);
      await handle.delete();
    });
  });

  test('backfill runs every time of the spec in the range; pause, unpause, update and delete', async () => {
    const e = env();
    const taskQueue = e.taskQueue('sched-backfill');
    const scheduleId = `sched-backfill-${taskQueue}`;
    const base = `wf-${scheduleId}`;
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1m' }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'greeting',
          args: ['Cy'],
          taskQueue,
          workflowId: base,
        },
        state: { paused: true },
      });
      const from = new Date('2024-05-01T10:00:00Z');
      const to = new Date('2024-05-01T10:02:00Z');
      await handle.backfill({ start: from, end: to, overlap: ScheduleOverlapPolicy.ALLOW_ALL });
      const d = await describeUntil(
        e,
        scheduleId,
        'three backfilled actions',
        (x) => x.info.numActionsTaken >= 3,
      );
      assert.equal(d.info.numActionsTaken, 3);
      const ids = d.info.recentActions.map((a) => a.action.workflow.workflowId).sort();
      assert.deepEqual(ids, [
        `${base}-2024-05-01T10:00:00Z`,
        `${base}-2024-05-01T10:01:00Z`,
        `${base}-2024-05-01T10:02:00Z`,
      ]);
      for (const id of ids) assert.equal(await e.client.workflow.getHandle(id).result(), 'Hello, Cy!');

      await handle.unpause('back on');
      assert.equal((await handle.describe()).state.note, 'back on');
      await handle.pause('maintenance');
      let current = await handle.describe();
      assert.equal(current.state.paused, true);
      assert.equal(current.state.note, 'maintenance');

      await handle.update((previous) => ({
        ...previous,
        spec: { cronExpressions: ['0 3 * * *'] },
        action: { ...previous.action, args: ['Di'] },
      }));
      current = await handle.describe();
      assert.equal(current.spec.intervals?.length ?? 0, 0);
      assert.equal(current.spec.calendars?.[0]?.hour?.[0]?.start, 3);
      assert.deepEqual(current.action.type === 'startWorkflow' ? current.action.args : [], ['Di']);

      await handle.delete();
      await assert.rejects(handle.describe(), ScheduleNotFoundError);
    });
  });

  test('a trigger that overlaps a running action follows its overlap policy', async () => {
    const e = env();
    const taskQueue = e.taskQueue('sched-overlap');
    const scheduleId = `sched-overlap-${taskQueue}`;
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1d' }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'sleepThenEcho',
          args: ['long', 3_600_000],
          taskQueue,
          workflowId: `wf-${scheduleId}`,
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP },
        state: { paused: true },
      });
      // SKIP (not the trigger's own default, ALLOW_ALL, whose runs the schedule does not track).
      await handle.trigger(ScheduleOverlapPolicy.SKIP);
      const first = await describeUntil(
        e,
        scheduleId,
        'one running action',
        (x) => x.info.runningActions.length === 1,
      );
      const running = first.info.runningActions[0]!.workflow;
      // SKIP drops the second start while the first runs (a new second: a different workflow id).
      await new Promise((r) => setTimeout(r, 1_000));
      await handle.trigger(ScheduleOverlapPolicy.SKIP);
      await describeUntil(e, scheduleId, 'an overlap skipped', (x) => x.info.numActionsSkippedOverlap === 1);
      // BUFFER_ONE keeps one start and drops the next, counted as skipped for overlap (as Temporal counts it),
      // not as dropped from the buffer.
      await handle.trigger(ScheduleOverlapPolicy.BUFFER_ONE);
      await handle.trigger(ScheduleOverlapPolicy.BUFFER_ONE);
      const buffered = await describeUntil(
        e,
        scheduleId,
        'a BUFFER_ONE start skipped',
        (x) => x.info.numActionsSkippedOverlap === 2,
      );
      assert.equal(Number(buffered.raw.info?.bufferSize ?? 0), 1);
      assert.equal(Number(buffered.raw.info?.bufferDropped ?? 0), 0);
      // TERMINATE_OTHER ends the running one and starts anew (its id has the next second in it); with nothing
      // open, it takes the place of the BUFFER_ONE start waiting before it, as in Temporal's scheduler.
      await new Promise((r) => setTimeout(r, 1_000));
      await handle.trigger(ScheduleOverlapPolicy.TERMINATE_OTHER);
      const after = await describeUntil(
        e,
        scheduleId,
        'the replacing action',
        (x) => x.info.numActionsTaken === 2 && x.info.runningActions.length === 1,
      );
      assert.notEqual(after.info.runningActions[0]!.workflow.workflowId, running.workflowId);
      assert.equal(Number(after.raw.info?.bufferSize ?? 0), 0);
      const old = await e.client.workflow
        .getHandle(running.workflowId, running.firstExecutionRunId)
        .describe();
      assert.equal(old.status.name, 'TERMINATED');
      for (const a of after.info.runningActions)
        await e.client.workflow.getHandle(a.workflow.workflowId).terminate('test done');
      await handle.delete();
    });
  });

  test('a run started under ALLOW_ALL is not tracked: it blocks no SKIP start and is not a running action', async () => {
    const e = env();
    const taskQueue = e.taskQueue('sched-allow-all');
    const scheduleId = `sched-allow-all-${taskQueue}`;
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1d' }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'sleepThenEcho',
          args: ['long', 3_600_000],
          taskQueue,
          workflowId: `wf-${scheduleId}`,
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP },
        state: { paused: true },
      });
      // The SDK's trigger defaults to ALLOW_ALL.
      await handle.trigger();
      const first = await describeUntil(
        e,
        scheduleId,
        'the first action',
        (x) => x.info.numActionsTaken === 1,
      );
      assert.deepEqual(first.info.runningActions, []);
      const beside = first.info.recentActions[0]!.action.workflow;
      assert.equal((await e.client.workflow.getHandle(beside.workflowId).describe()).status.name, 'RUNNING');
      // A SKIP start is not skipped for it.
      await new Promise((r) => setTimeout(r, 1_000));
      await handle.trigger(ScheduleOverlapPolicy.SKIP);
      const second = await describeUntil(
        e,
        scheduleId,
        'the second action',
        (x) => x.info.numActionsTaken === 2,
      );
      assert.equal(second.info.numActionsSkippedOverlap, 0);
      assert.equal(second.info.runningActions.length, 1);
      assert.notEqual(second.info.runningActions[0]!.workflow.workflowId, beside.workflowId);
      await e.client.workflow.getHandle(beside.workflowId).terminate('test done');
      await e.client.workflow
        .getHandle(second.info.runningActions[0]!.workflow.workflowId)
        .terminate('test done');
      await handle.delete();
    });
  });

  test('an interval schedule fires by itself', async () => {
    const e = env();
    const taskQueue = e.taskQueue('sched-interval');
    const scheduleId = `sched-interval-${taskQueue}`;
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1s' }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'greeting',
          args: ['Ed'],
          taskQueue,
          workflowId: `wf-${scheduleId}`,
        },
        policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
      });
      const d = await describeUntil(e, scheduleId, 'two actions', (x) => x.info.numActionsTaken >= 2);
      await handle.pause('enough');
      for (const a of d.info.recentActions) {
        assert.equal(a.scheduledAt.getTime() % 1000, 0);
        assert.ok(a.takenAt.getTime() >= a.scheduledAt.getTime());
      }
      await handle.delete();
    });
  });

  test('each run gets the last completion result and the last failure; pause on failure; ALLOW_ALL takes no part', async () => {
    const e = env();
    const taskQueue = e.taskQueue('sched-last-result');
    const scheduleId = `sched-last-result-${taskQueue}`;
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.schedule.create({
        scheduleId,
        // Unpaused (a pause on failure pauses only a running schedule), with no scheduled time this century.
        spec: { intervals: [{ every: '1d' }], startAt: new Date('2099-01-01T00:00:00Z') },
        action: {
          type: 'startWorkflow',
          workflowType: 'scheduledCounter',
          args: [3],
          taskQueue,
          workflowId: `wf-${scheduleId}`,
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP, pauseOnFailure: true },
      });
      // Triggers one action under `overlap` and waits for its run to close; returns the run's handle.
      let taken = 0;
      const runOnce = async (overlap: ScheduleOverlapPolicy) => {
        // A new second: the workflow id names the action's time.
        await new Promise((r) => setTimeout(r, 1_000));
        await handle.trigger(overlap);
        taken++;
        const d = await describeUntil(
          e,
          scheduleId,
          `action ${taken}`,
          (x) => x.info.numActionsTaken === taken,
        );
        const action = d.info.recentActions.at(-1)!.action.workflow;
        return e.client.workflow.getHandle(action.workflowId, action.firstExecutionRunId);
      };
      assert.deepEqual(await (await runOnce(ScheduleOverlapPolicy.SKIP)).result(), {
        count: 1,
        lastFailure: null,
      });
      assert.deepEqual(await (await runOnce(ScheduleOverlapPolicy.BUFFER_ONE)).result(), {
        count: 2,
        lastFailure: null,
      });
      // The third fails: the schedule pauses (Temporal's note) and hands the failure on, with the last result.
      const third = await runOnce(ScheduleOverlapPolicy.SKIP);
      await assert.rejects(third.result());
      const paused = await describeUntil(
        e,
        scheduleId,
        'the pause on failure',
        (x) => x.state.paused === true && !!x.state.note,
      );
      assert.match(paused.state.note ?? '', /^paused due to workflow failure: .*: failed at 3$/);
      // A paused schedule still takes triggers.
      assert.deepEqual(await (await runOnce(ScheduleOverlapPolicy.SKIP)).result(), {
        count: 3,
        lastFailure: 'failed at 3',
      });
      // An ALLOW_ALL run gets nothing, and its result is not handed on.
      assert.deepEqual(await (await runOnce(ScheduleOverlapPolicy.ALLOW_ALL)).result(), {
        count: 1,
        lastFailure: null,
      });
      assert.deepEqual(await (await runOnce(ScheduleOverlapPolicy.SKIP)).result(), {
        count: 4,
        lastFailure: null,
      });
      await handle.delete();
    });
  });

  test('a run that continues as new hands on the result its chain ends with', async () => {
    const e = env();
    const taskQueue = e.taskQueue('sched-chain');
    const scheduleId = `sched-chain-${taskQueue}`;
    await e.withWorker(taskQueue, async () => {
      const handle = await e.client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1d' }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'scheduledChainCounter',
          args: [],
          taskQueue,
          workflowId: `wf-${scheduleId}`,
        },
        policies: { overlap: ScheduleOverlapPolicy.SKIP },
        state: { paused: true },
      });
      for (const expected of [1, 2]) {
        await new Promise((r) => setTimeout(r, 1_000));
        await handle.trigger(ScheduleOverlapPolicy.SKIP);
        const d = await describeUntil(
          e,
          scheduleId,
          `action ${expected}`,
          (x) => x.info.numActionsTaken === expected,
        );
        const action = d.info.recentActions.at(-1)!.action.workflow;
        // The chain's last run (the workflow's current run) completes with the count.
        assert.deepEqual(await e.client.workflow.getHandle(action.workflowId).result(), {
          count: expected,
          lastFailure: null,
        });
        // The schedule sees the chain close (it waits for it: SKIP would drop a start while it runs).
        await describeUntil(
          e,
          scheduleId,
          `chain ${expected} closed`,
          (x) => x.info.runningActions.length === 0,
        );
      }
      await handle.delete();
    });
  });
});

for (const db of databasesUnderTest()) {
  describe(`scenario 27: a schedule survives a server restart [${db}]`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'odin-sched-'));
    const name = `odin_sched_${process.pid}_${Date.now().toString(36)}`;
    const dbUrl =
      db === 'sqlite'
        ? `sqlite:${join(dir, 'odin.db')}`
        : (() => {
            const url = new URL(db === 'postgres' ? PG_ADMIN_URL : MYSQL_ADMIN_URL);
            url.pathname = `/${name}`;
            return url.toString();
          })();

    after(async () => {
      await dropDatabase(dbUrl).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    });

    test('the schedule, its recent actions and its pending trigger are there after the restart', async () => {
      installRuntime();
      await createDatabaseIfMissing(dbUrl);
      const scheduleId = 'sched-restart';
      let server = await startDevServer({ port: 0, dbUrl, shardCount: 8 });
      let connection = await Connection.connect({ address: server.address });
      let client = new Client({ connection, namespace: 'default' });
      const handle = await client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1d' }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'greeting',
          args: ['Flo'],
          taskQueue: 'sched-restart-nobody',
          workflowId: 'wf-restart',
        },
        policies: { overlap: ScheduleOverlapPolicy.ALLOW_ALL },
        state: { paused: true, note: 'before restart' },
      });
      // Under SKIP: the schedule tracks the run (one under ALLOW_ALL, the trigger's default, it would not).
      await handle.trigger(ScheduleOverlapPolicy.SKIP);
      await eventually('the first action', async () =>
        (await handle.describe()).info.numActionsTaken === 1 ? true : undefined,
      );
      await connection.close();
      await server.stop();

      server = await startDevServer({ port: 0, dbUrl, shardCount: 8 });
      try {
        connection = await Connection.connect({ address: server.address });
        client = new Client({ connection, namespace: 'default' });
        const again = client.schedule.getHandle(scheduleId);
        const d = await again.describe();
        assert.equal(d.state.note, 'before restart');
        assert.equal(d.info.numActionsTaken, 1);
        assert.equal(d.info.runningActions.length, 1);
        await new Promise((r) => setTimeout(r, 1_000));
        await again.trigger();
        const later = await eventually('the action after the restart', async () => {
          const x = await again.describe();
          return x.info.numActionsTaken === 2 ? x : undefined;
        });
        // The trigger's ALLOW_ALL run is beside the tracked one, not among the running actions.
        assert.equal(later.info.runningActions.length, 1);
        for (const a of later.info.recentActions)
          await client.workflow.getHandle(a.action.workflow.workflowId).terminate('test done');
        await again.delete();
        await connection.close();
      } finally {
        await server.stop();
      }
    });
  });
}

// Authorization does not depend on the database: once, on in-memory SQLite.
describe('scenario 27: schedules with authorization on', () => {
  let server: AuthServer;
  const closers: (() => unknown)[] = [];

  after(async () => {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    await server?.stop();
  });

  async function clientWith(token: string): Promise<Client> {
    const connection = await Connection.connect({
      address: server.address,
      metadata: { authorization: `Bearer ${token}` },
    });
    closers.push(() => connection.close());
    return new Client({ connection, namespace: 'ns-a' });
  }

  test('the schedule worker starts workflows as the system; a reader may describe but not create', async () => {
    installRuntime();
    server = await startAuthServer();
    const writer = await clientWith(await server.token('app', ['ns-a:write']));
    const reader = await clientWith(await server.token('viewer', ['ns-a:read']));
    const options = {
      scheduleId: 'sched-auth',
      spec: { intervals: [{ every: '1d' }] },
      action: {
        type: 'startWorkflow' as const,
        workflowType: 'greeting',
        args: ['Gus'],
        taskQueue: 'sched-auth-nobody',
        workflowId: 'wf-sched-auth',
      },
      state: { paused: true },
    };
    await assert.rejects(reader.schedule.create({ ...options, scheduleId: 'sched-auth-2' }), (e: unknown) => {
      assert.equal(grpcCode(e), 7 /* PERMISSION_DENIED */, String(e));
      return true;
    });
    const handle = await writer.schedule.create(options);
    await handle.trigger();
    const d = await eventually('the triggered action', async () => {
      const x = await reader.schedule.getHandle('sched-auth').describe();
      return x.info.recentActions.length > 0 ? x : undefined;
    });
    const started = d.info.recentActions[0]!.action.workflow;
    assert.equal((await writer.workflow.getHandle(started.workflowId).describe()).status.name, 'RUNNING');
    await writer.workflow.getHandle(started.workflowId).terminate('test done');
    await handle.delete();
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { temporal } from '@odin/api';
import { parseCron } from '../src/state/cron.js';
import {
  advance,
  cmd,
  complete,
  ctx,
  history,
  NS,
  payloadText,
  pollWorkflowTask,
  setup,
  start,
} from './harness.js';
import type { Harness } from './harness.js';

const at = (iso: string) => Date.parse(iso);

test('cron schedules give the next fire time strictly after a moment (UTC)', () => {
  assert.equal(parseCron('*/5 * * * *').next(at('2026-01-01T00:00:00Z')), at('2026-01-01T00:05:00Z'));
  assert.equal(parseCron('*/5 * * * *').next(at('2026-01-01T00:04:59Z')), at('2026-01-01T00:05:00Z'));
  assert.equal(parseCron('30 2 * * *').next(at('2026-01-01T03:00:00Z')), at('2026-01-02T02:30:00Z'));
  assert.equal(parseCron('0 9 * * 1-5').next(at('2026-01-02T10:00:00Z')), at('2026-01-05T09:00:00Z'));
  assert.equal(parseCron('0 0 1 */3 *').next(at('2026-01-15T00:00:00Z')), at('2026-04-01T00:00:00Z'));
  assert.equal(parseCron('@hourly').next(at('2026-01-01T00:00:00Z')), at('2026-01-01T01:00:00Z'));
  assert.equal(parseCron('@every 90s').next(at('2026-01-01T00:00:00Z')), at('2026-01-01T00:01:30Z'));
  // A step after a single value runs to the end of the field; day-of-month and day-of-week restricted: either.
  assert.equal(parseCron('5/15 * * * *').next(at('2026-01-01T00:06:00Z')), at('2026-01-01T00:20:00Z'));
  assert.equal(parseCron('0 0 13 * 5').next(at('2026-01-01T00:00:00Z')), at('2026-01-02T00:00:00Z'));
  assert.throws(() => parseCron('61 * * * *'), /field "61"/);
  assert.throws(() => parseCron('* * *'), /5 fields/);
});

test('cron schedules take month and day names and every macro', () => {
  assert.equal(parseCron('0 9 * * MON').next(at('2026-01-02T10:00:00Z')), at('2026-01-05T09:00:00Z'));
  assert.equal(parseCron('0 9 * * mon-fri').next(at('2026-01-03T10:00:00Z')), at('2026-01-05T09:00:00Z'));
  assert.equal(parseCron('0 0 1 JAN,Jul *').next(at('2026-02-01T00:00:00Z')), at('2026-07-01T00:00:00Z'));
  assert.equal(parseCron('0 0 ? * SUN').next(at('2026-01-01T00:00:00Z')), at('2026-01-04T00:00:00Z'));
  const from = at('2026-01-01T12:00:00Z'); // a Thursday
  assert.equal(parseCron('@daily').next(from), at('2026-01-02T00:00:00Z'));
  assert.equal(parseCron('@midnight').next(from), at('2026-01-02T00:00:00Z'));
  assert.equal(parseCron('@weekly').next(from), at('2026-01-04T00:00:00Z'));
  assert.equal(parseCron('@monthly').next(from), at('2026-02-01T00:00:00Z'));
  assert.equal(parseCron('@yearly').next(from), at('2027-01-01T00:00:00Z'));
  assert.equal(parseCron('@annually').next(from), at('2027-01-01T00:00:00Z'));
  assert.throws(() => parseCron('@fortnightly'), /unknown macro/);
  assert.throws(() => parseCron('0 0 * FOO *'), /month field "FOO"/);
  assert.throws(() => parseCron('0 0 * * MON-SUN'), /day-of-week field/);
});

test('a CRON_TZ= or TZ= prefix evaluates the schedule in that IANA zone', () => {
  // 09:30 in New York is 14:30 UTC in winter (EST) and 13:30 UTC in summer (EDT).
  const ny = parseCron('CRON_TZ=America/New_York 30 9 * * *');
  assert.equal(ny.next(at('2026-01-01T00:00:00Z')), at('2026-01-01T14:30:00Z'));
  assert.equal(ny.next(at('2026-07-01T00:00:00Z')), at('2026-07-01T13:30:00Z'));
  assert.equal(
    parseCron('TZ=Asia/Tokyo 0 9 * * *').next(at('2026-01-01T00:00:00Z')),
    at('2026-01-02T00:00:00Z'),
  );
  assert.equal(parseCron('CRON_TZ=UTC @hourly').next(at('2026-01-01T00:00:00Z')), at('2026-01-01T01:00:00Z'));
  assert.throws(() => parseCron('CRON_TZ=Mars/Olympus 0 9 * * *'), /not an IANA time zone/);
  assert.throws(() => parseCron('CRON_TZ=Europe/Paris'), /no schedule/);
});

test('@every runs on a grid of whole seconds, one second at least, as Temporal does', () => {
  const t = at('2026-01-01T00:00:00Z');
  assert.equal(parseCron('@every 1h30m').next(t), t + 90 * 60_000 - (t % (90 * 60_000)));
  assert.equal(parseCron('@every 500ms').next(t + 200), t + 1_000);
  assert.equal(parseCron('@every 1500ms').next(t + 200), t + 1_000);
  assert.equal(parseCron('@every 2.5s').next(t), t + 2_000);
  assert.throws(() => parseCron('@every'), /@every needs a duration/);
  assert.throws(() => parseCron('@every soon'), /@every needs a duration/);
});

test('a schedule that never fires, or in syntax Temporal refuses, is refused', () => {
  assert.throws(() => parseCron('0 0 30 2 *'), /never fires/);
  assert.throws(() => parseCron('0 0 31 4,6,9,11 *'), /never fires/);
  // 29 February fires, in leap years only.
  assert.equal(parseCron('0 0 29 2 *').next(at('2026-03-01T00:00:00Z')), at('2028-02-29T00:00:00Z'));
  // Croner's extensions beyond Temporal's parser: seconds and year fields, L, W, #, +, a step without a start.
  for (const spec of [
    '0 0 0 * * *',
    '0 0 0 1 1 * 2030',
    '0 0 L * *',
    '0 0 15W * *',
    '0 0 * * 5#2',
    '0 0 1 * +MON',
  ]) {
    assert.throws(() => parseCron(spec), /cron schedule/, spec);
  }
  assert.throws(() => parseCron('/15 * * * *'), /minute field/);
  assert.throws(() => parseCron('*/0 * * * *'), /minute field/);
  assert.throws(() => parseCron('10-5 * * * *'), /minute field/);
});

describe('cron workflows', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('each run waits for the schedule, and the next run is created when one completes', async () => {
    const firstRunId = await start(h, 'cron-wf', { cronSchedule: '*/5 * * * *' });
    assert.equal(h.matching.workflowTasks.filter((t) => t.workflowId === 'cron-wf').length, 0);
    await advance(h, 5 * 60_000);
    const wft = await pollWorkflowTask(h, 'cron-wf');
    assert.equal(wft.workflowExecution?.runId, firstRunId);
    await complete(h, wft.taskToken, [cmd.complete('tick-1')]);
    const completed = (await history(h, 'cron-wf', firstRunId)).at(
      -1,
    )?.workflowExecutionCompletedEventAttributes;
    const secondRunId = completed?.newExecutionRunId;
    assert.ok(secondRunId);
    await advance(h, 4 * 60_000);
    assert.equal(h.matching.workflowTasks.filter((t) => t.runId === secondRunId).length, 0);
    await advance(h, 60_000);
    const next = await pollWorkflowTask(h, 'cron-wf');
    assert.equal(next.workflowExecution?.runId, secondRunId);
    const started = next.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
    assert.equal(
      started?.initiator,
      temporal.api.enums.v1.ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE,
    );
    assert.equal(payloadText(started?.lastCompletionResult), 'tick-1');
    assert.equal(started?.cronSchedule, '*/5 * * * *');
    // Terminating the current run ends the chain.
    await h.history.terminateWorkflowExecution(
      NS,
      { namespace: NS.name, workflowExecution: { workflowId: 'cron-wf' } },
      ctx(),
    );
    const last = (await history(h, 'cron-wf')).at(-1);
    assert.ok(last?.workflowExecutionTerminatedEventAttributes);
  });

  test('an invalid cron schedule is refused at start', async () => {
    await assert.rejects(
      start(h, 'cron-bad', { cronSchedule: 'every day' }),
      (e: { code?: number }) => e.code === 3,
    );
  });

  test('a schedule that never fires is INVALID_ARGUMENT at start and signal-with-start, not INTERNAL', async () => {
    const invalid = (e: { code?: number; message?: string }) =>
      e.code === 3 && /never fires/.test(e.message ?? '');
    await assert.rejects(start(h, 'cron-never', { cronSchedule: '0 0 30 2 *' }), invalid);
    await assert.rejects(
      h.history.signalWithStartWorkflowExecution(
        NS,
        {
          namespace: NS.name,
          workflowId: 'cron-never-sws',
          workflowType: { name: 'wf' },
          taskQueue: { name: 'tq' },
          signalName: 'go',
          cronSchedule: '0 0 30 2 *',
        },
        ctx(),
      ),
      invalid,
    );
  });

  test('a CRON_TZ schedule waits for its fire time in that zone', async () => {
    // The harness clock starts at 2026-01-01T00:00Z; 09:30 in New York is 14:30 UTC.
    assert.ok(h.clock.now() < at('2026-01-01T14:30:00Z'));
    const runId = await start(h, 'cron-tz', { cronSchedule: 'CRON_TZ=America/New_York 30 9 * * *' });
    const [first] = await history(h, 'cron-tz', runId);
    const backoff = first?.workflowExecutionStartedEventAttributes?.firstWorkflowTaskBackoff;
    const startedAt =
      Number(first?.eventTime?.seconds) * 1000 + Math.floor((first?.eventTime?.nanos ?? 0) / 1e6);
    const slot = startedAt + Number(backoff?.seconds) * 1000 + Math.floor((backoff?.nanos ?? 0) / 1e6);
    assert.equal(slot, at('2026-01-01T14:30:00Z'));
    await h.history.terminateWorkflowExecution(
      NS,
      { namespace: NS.name, workflowExecution: { workflowId: 'cron-tz' } },
      ctx(),
    );
  });

  test('a child or continue-as-new with a schedule that never fires fails the workflow task, not the server', async () => {
    const Cause = temporal.api.enums.v1.WorkflowTaskFailedCause;
    for (const [workflowId, command, cause] of [
      [
        'cron-child-parent',
        cmd.startChild('cron-child', { cronSchedule: '0 0 30 2 *' }),
        Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
      ],
      [
        'cron-can',
        {
          commandType: temporal.api.enums.v1.CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION,
          continueAsNewWorkflowExecutionCommandAttributes: {
            workflowType: { name: 'wf' },
            taskQueue: { name: 'tq' },
            cronSchedule: '0 0 30 2 *',
          },
        },
        Cause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES,
      ],
    ] as const) {
      await start(h, workflowId);
      const wft = await pollWorkflowTask(h, workflowId);
      await complete(h, wft.taskToken, [command]);
      const failed = (await history(h, workflowId)).at(-1)?.workflowTaskFailedEventAttributes;
      assert.equal(failed?.cause, cause, workflowId);
      assert.match(failed?.failure?.message ?? '', /never fires/);
    }
  });
});

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
  assert.throws(() => parseCron('61 * * * *'), /field "61"/);
  assert.throws(() => parseCron('* * *'), /5 fields/);
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
});

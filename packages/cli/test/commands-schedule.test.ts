// The `schedule` verbs, run in this process through runCommand (same parser and actions as the binary), against
// a dev server with our SDK's worker.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ExitCode } from '../src/commands/index.js';
import { runCommand } from '../src/program.js';
import { type Harness, startHarness } from './fixtures/cli-harness.js';

let harness: Harness;

before(async () => {
  harness = await startHarness();
});

after(async () => {
  await harness.stop();
});

function cli(args: string[]) {
  return runCommand(args, { HUGO_ORCHESTRATOR_ADDRESS: harness.address });
}

async function json<T>(args: string[]): Promise<T> {
  const run = await cli([...args, '--output', 'json']);
  assert.equal(run.code, ExitCode.ok, run.stderr);
  return JSON.parse(run.stdout) as T;
}

interface Described {
  state: { paused: boolean; note?: string };
  spec: { intervals: { every: number; offset: number }[]; calendars: unknown[]; timezone?: string };
  info: { numActionsTaken: number; recentActions: { action: { workflow: { workflowId: string } } }[] };
}

describe('schedule commands', () => {
  test('create, describe, list, pause, unpause, trigger, backfill and delete', async () => {
    const created = await cli([
      'schedule',
      'create',
      '--schedule-id',
      'nightly',
      '--type',
      'OrderProcessing',
      '--workflow-id',
      'nightly-order',
      '--task-queue',
      'nobody-polls',
      '--input',
      '{"orderId":"o-1"}',
      '--interval',
      '1h/5m',
      '--cron',
      '0 2 * * *',
      '--time-zone',
      'Europe/Berlin',
      // Ends before the test runs: the 2025 backfill below still matches it, and the unpause and pause cannot let
      // an action of its own in between, which would change the count of actions the test waits for.
      '--end-time',
      '2025-06-01T00:00:00Z',
      '--paused',
      '--notes',
      'created by the test',
    ]);
    assert.equal(created.code, ExitCode.ok, created.stderr);
    assert.match(created.stdout, /Schedule nightly created/);

    let d = await json<Described>(['schedule', 'describe', '--schedule-id', 'nightly']);
    assert.deepEqual(d.spec.intervals, [{ every: 3_600_000, offset: 300_000 }]);
    assert.equal(d.spec.calendars.length, 1);
    assert.equal(d.spec.timezone, 'Europe/Berlin');
    assert.deepEqual(d.state, { paused: true, note: 'created by the test' });
    const table = await cli(['schedule', 'describe', '-s', 'nightly']);
    assert.match(table.stdout, /Workflow type:\s+OrderProcessing/);

    const listed = await json<{ scheduleId: string }[]>(['schedule', 'list']);
    assert.ok(listed.some((s) => s.scheduleId === 'nightly'));

    assert.equal((await cli(['schedule', 'unpause', '-s', 'nightly', '--reason', 'go'])).code, ExitCode.ok);
    assert.equal((await cli(['schedule', 'pause', '-s', 'nightly', '--reason', 'stop'])).code, ExitCode.ok);
    d = await json<Described>(['schedule', 'describe', '-s', 'nightly']);
    assert.deepEqual(d.state, { paused: true, note: 'stop' });

    const triggered = await cli(['schedule', 'trigger', '-s', 'nightly']);
    assert.equal(triggered.code, ExitCode.ok, triggered.stderr);
    const backfilled = await cli([
      'schedule',
      'backfill',
      '-s',
      'nightly',
      '--start-time',
      '2025-03-01T00:00:00Z',
      '--end-time',
      '2025-03-01T02:00:00Z',
      '--overlap-policy',
      'ALLOW_ALL',
    ]);
    assert.equal(backfilled.code, ExitCode.ok, backfilled.stderr);
    // The trigger, then 00:05 and 01:05 (interval) and 01:00 (02:00 in Berlin, the cron expression).
    for (let i = 0; i < 200 && d.info.numActionsTaken < 4; i++) {
      await new Promise((r) => setTimeout(r, 50));
      d = await json<Described>(['schedule', 'describe', '-s', 'nightly']);
    }
    assert.equal(d.info.numActionsTaken, 4);
    assert.ok(
      d.info.recentActions.some((a) => a.action.workflow.workflowId === 'nightly-order-2025-03-01T01:00:00Z'),
    );
    for (const a of d.info.recentActions)
      await cli(['workflow', 'terminate', '--id', a.action.workflow.workflowId, '--reason', 'test done']);

    assert.equal((await cli(['schedule', 'delete', '-s', 'nightly'])).code, ExitCode.ok);
    const gone = await cli(['schedule', 'describe', '-s', 'nightly']);
    assert.notEqual(gone.code, ExitCode.ok);
  });

  test('a schedule without times or with a bad time is a usage error', async () => {
    const base = [
      'schedule',
      'create',
      '-s',
      'bad',
      '--type',
      'T',
      '--workflow-id',
      'w',
      '--task-queue',
      'q',
    ];
    assert.equal((await cli(base)).code, ExitCode.usage);
    assert.equal(
      (await cli([...base, '--interval', '1h', '--start-time', 'yesterday'])).code,
      ExitCode.usage,
    );
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { OutboxTask } from '@odin/persistence';
import {
  advance,
  cmd,
  complete,
  ctx,
  eventNames,
  NS,
  payloads,
  pollActivityTask,
  pollWorkflowTask,
  setup,
  start,
} from './harness.js';
import type { Harness } from './harness.js';

/** The timer rows of a run still in the outbox (every shard of the harness, any fire time). */
async function timerRows(h: Harness, runId: string): Promise<OutboxTask[]> {
  const rows: OutboxTask[] = [];
  for (let shard = 1; shard <= 4; shard++) {
    const tasks = await h.store.outbox.readTimerTasks(shard, {
      maxFireTime: Number.MAX_SAFE_INTEGER,
      limit: 1000,
    });
    rows.push(...tasks.filter((t) => t.runId === runId));
  }
  return rows;
}

/** The types of a run's timer rows once the deletes a commit queued have gone out (idle: after the ack delay). */
async function armedAfterAcks(h: Harness, runId: string): Promise<string[]> {
  await advance(h, 1_000);
  return (await timerRows(h, runId)).map((t) => t.taskType).sort();
}

describe('stale timer tasks', () => {
  let h: Harness;
  before(async () => {
    h = await setup();
  });
  after(async () => {
    await h.close();
  });

  test('leave the outbox with the commit that made them stale, while the live ones stay', async () => {
    const runId = await start(h, 'stale-timers', { workflowRunTimeout: { seconds: 3_600 } as never });
    const wft = await pollWorkflowTask(h, 'stale-timers');
    assert.deepEqual(await armedAfterAcks(h, runId), ['workflow-run-timeout', 'workflow-task-timeout']);
    await complete(h, wft.taskToken, [
      cmd.activity('a1', { startToCloseTimeout: { seconds: 30 } }),
      cmd.timer('t1', 600),
    ]);
    // The workflow task's start-to-close went with its completion; the activity's schedule timeouts are live.
    const scheduled = await armedAfterAcks(h, runId);
    assert.ok(!scheduled.includes('workflow-task-timeout'), scheduled.join());
    assert.ok(scheduled.includes('activity-timeout'), scheduled.join());
    const act = await pollActivityTask(h, 'stale-timers');
    await h.history.respondActivityTaskCompleted(
      NS,
      { namespace: NS.name, taskToken: act.taskToken, result: payloads('done'), identity: 'worker' },
      ctx(),
    );
    const wft2 = await pollWorkflowTask(h, 'stale-timers');
    // Every timeout of the completed activity went with its completion.
    assert.deepEqual(await armedAfterAcks(h, runId), [
      'user-timer',
      'workflow-run-timeout',
      'workflow-task-timeout',
    ]);
    await complete(h, wft2.taskToken, []);
    assert.deepEqual(await armedAfterAcks(h, runId), ['user-timer', 'workflow-run-timeout']);
    // None of the dropped ones fires later: the run goes on untouched until its timer.
    await advance(h, 60_000);
    assert.deepEqual((await eventNames(h, 'stale-timers')).slice(-1), ['WORKFLOW_TASK_COMPLETED']);
  });

  test('of a closed run leave the outbox with the close, long before they would fire', async () => {
    const runId = await start(h, 'closed-timers', { workflowRunTimeout: { seconds: 3_600 } as never });
    const wft = await pollWorkflowTask(h, 'closed-timers');
    await complete(h, wft.taskToken, [cmd.timer('t1', 600), cmd.complete('done')]);
    assert.deepEqual(await armedAfterAcks(h, runId), []);
  });

  test('a run deleted while running still goes once its deletion timer fires', async () => {
    const runId = await start(h, 'deleted-running', { workflowRunTimeout: { seconds: 3_600 } as never });
    await h.history.deleteWorkflowExecution(
      NS,
      { namespace: NS.name, workflowExecution: { workflowId: 'deleted-running', runId } },
      ctx(),
    );
    await advance(h, 1_000);
    // Terminated and closed, but the deletion itself is still ahead.
    assert.deepEqual(
      (await timerRows(h, runId)).map((t) => t.taskType),
      ['delete-execution'],
    );
    await advance(h, 2_000);
    await assert.rejects(
      h.history.describeWorkflowExecution(
        NS,
        { namespace: NS.name, execution: { workflowId: 'deleted-running', runId } },
        ctx(),
      ),
      (error: { code?: number }) => error.code === 5,
    );
    assert.deepEqual(await timerRows(h, runId), []);
  });
});

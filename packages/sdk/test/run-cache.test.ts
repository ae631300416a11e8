import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { IHistoryEvent } from '../src/common/proto-types.js';
import { WorkflowSimulator } from '../src/testing/workflow-simulator.js';
import { WorkflowRunCache } from '../src/worker/run-cache.js';
import {
  resumeWorkflowTask,
  runWorkflowTask,
  type WorkflowTaskOutcome,
} from '../src/workflow/task-runner.js';
import { EventType } from './history-helpers.js';
import * as basic from './workflows/basic.js';
import * as hugo from './workflows/hugo.js';

const workflows = { ...basic, ...hugo };
const activities = {
  greet: async (name: string) => `Hello, ${name}!`,
  charge: async (amount: number) => `ch-${amount}`,
  refund: async () => undefined,
  explode: async () => {
    throw new Error('boom');
  },
};

function full(history: readonly IHistoryEvent[]) {
  return runWorkflowTask({ namespace: 'default', workflowId: 'w', runId: 'r', history, workflows });
}

/** Drives every workflow task of a finished history twice: replaying from the start, and resuming a kept run. */
async function compareResumeWithReplay(type: string, args: unknown[]): Promise<number> {
  const sim = new WorkflowSimulator({ workflows, activities }, type, args, { workflowId: 'w', runId: 'r' });
  assert.equal(await sim.run(), 'completed');
  const startedAt = sim.history.flatMap((e, i) =>
    e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED ? [i] : [],
  );
  let kept: WorkflowTaskOutcome | undefined;
  for (const index of startedAt) {
    const prefix = sim.history.slice(0, index + 1);
    const replayed = await full(prefix);
    const resumed = kept?.live
      ? await resumeWorkflowTask(kept.activator, kept.live, { history: prefix })
      : await full(prefix);
    assert.ok(resumed, `resume refused the task at event ${index + 1}`);
    assert.equal(
      JSON.stringify(resumed.commands),
      JSON.stringify(replayed.commands),
      `commands of the task at event ${index + 1}`,
    );
    kept = resumed;
  }
  return startedAt.length;
}

describe('resuming kept runs', () => {
  test('a kept run produces the same commands as a full replay at every task (timers, activities, markers)', async () => {
    assert.ok((await compareResumeWithReplay('recordsSideEffect', [])) >= 2);
    assert.ok((await compareResumeWithReplay('saga', ['ship'])) >= 3);
  });

  test('a kept run of Hugo channels/select and ErrGroup matches full replay at every task', async () => {
    assert.ok((await compareResumeWithReplay('channelsAndSelect', [])) >= 4);
    assert.ok((await compareResumeWithReplay('errGroupFanOut', [['a', 'bbb', 'cc']])) >= 3);
  });

  test('history that does not continue from the kept task (a failed task) is refused, so the caller replays', async () => {
    const sim = new WorkflowSimulator({ workflows, activities }, 'timerThenActivity', ['x']);
    await sim.run({ maxSteps: 1, fireTimers: false });
    const started = sim.history.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    const first = await full(sim.history.slice(0, started + 1));
    assert.ok(first.live);
    const diverged = [...sim.history.slice(0, started + 1)];
    diverged.push({
      eventId: started + 2,
      eventType: EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED,
    } as unknown as IHistoryEvent);
    assert.equal(await resumeWorkflowTask(first.activator, first.live, { history: diverged }), undefined);
  });
});

describe('run cache', () => {
  test('take removes the run, and the least recently used run is evicted beyond capacity', async () => {
    const cache = new WorkflowRunCache(2);
    const outcome = await full(
      new WorkflowSimulator({ workflows, activities }, 'greeting', ['a']).history.concat(),
    );
    const run = {
      activator: outcome.activator,
      live: { startedEventId: 3, produced: [], deliveredEvents: 0 },
    };
    cache.put('a', run);
    cache.put('b', run);
    cache.put('a', run);
    cache.put('c', run);
    assert.equal(cache.size, 2);
    assert.equal(cache.take('b'), undefined);
    assert.equal(cache.take('a'), run);
    assert.equal(cache.take('a'), undefined);
    assert.equal(new WorkflowRunCache(0).size, 0);
  });
});

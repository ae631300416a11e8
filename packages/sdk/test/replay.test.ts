import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { temporal, toNumber } from '@odin/api/public';
import { assertDeterministicReplay, historyFromJson, readHistoryFile, replayHistory } from '../src/replay.js';
import { WorkflowSimulator } from '../src/testing/workflow-simulator.js';
import { DeterminismViolationError } from '../src/workflow/errors.js';
import { CommandType, EventType } from './history-helpers.js';
import * as basic from './workflows/basic.js';
import * as hugo from './workflows/hugo.js';

const workflows = { ...basic, ...hugo };
const activities = { greet: async (name: string) => `Hello, ${name}!` };
const fixture = new URL('./fixtures/greeting-history.json', import.meta.url).pathname;
/** Written by the official SDK's tooling: `historyToJSON(await handle.fetchHistory())` of a run on the dev server. */
const officialExport = new URL('./fixtures/with-timeout-official-export.json', import.meta.url).pathname;

async function simulated(type: string, args: unknown[]) {
  const sim = new WorkflowSimulator({ workflows, activities }, type, args);
  assert.equal(await sim.run(), 'completed');
  return sim;
}

describe('Hugo primitives inside workflows', () => {
  test('channels and select pick values in workflow-time order, time out on the workflow clock, and replay identically', async () => {
    const sim = await simulated('channelsAndSelect', []);
    assert.deepEqual(sim.result(), ['fast-1', 'Hello, slow!', 'fast-2', 'error.timeout']);
    await assertDeterministicReplay(sim.history, workflows);
  });

  test('ErrGroup and WaitGroup fan-out completes every branch and replays identically', async () => {
    const sim = await simulated('errGroupFanOut', [['a', 'bbb', 'cc']]);
    assert.deepEqual(sim.result(), ['Hello, a!', 'Hello, cc!', 'Hello, bbb!', 'wg']);
    await assertDeterministicReplay(sim.history, workflows);
  });

  test('whenAll over activities returns results in input order and replays identically', async () => {
    const sim = await simulated('whenAllGreets', [['x', 'y']]);
    assert.deepEqual(sim.result(), ['Hello, x!', 'Hello, y!']);
    await assertDeterministicReplay(sim.history, workflows);
  });

  test("Hugo's saga compensates a failed step with a refund activity and replays identically", async () => {
    const sim = new WorkflowSimulator(
      {
        workflows,
        activities: {
          charge: async (amount: number) => `ch-${amount}`,
          refund: async () => undefined,
          explode: async () => {
            throw new Error('boom');
          },
        },
      },
      'hugoSaga',
      [true],
    );
    assert.equal(await sim.run(), 'completed');
    assert.equal(sim.result(), 'failed: order.shipping');
    const types = sim.history.flatMap(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? [],
    );
    assert.deepEqual(types, ['charge', 'explode', 'refund']);
    await assertDeterministicReplay(sim.history, workflows);
  });

  test('two simulated runs of the same workflow write identical histories', async () => {
    const a = await simulated('channelsAndSelect', []);
    const b = await simulated('channelsAndSelect', []);
    assert.deepEqual(JSON.stringify(a.history), JSON.stringify(b.history));
  });
});

describe('replay', () => {
  test('a history in Temporal JSON format replays cleanly against matching code', async () => {
    const history = await readHistoryFile(fixture);
    assert.equal(history.length, 11);
    assert.equal(history[2]?.eventType, EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED);
    assert.equal(
      toNumber(history[4]?.activityTaskScheduledEventAttributes?.startToCloseTimeout?.seconds),
      60,
    );
    const result = await replayHistory(history, workflows);
    assert.equal(result.divergence, undefined);
    assert.equal(result.replayedTasks, 2);
  });

  test('a history exported by the official tooling replays deterministically (timers, a cancelled timer)', async () => {
    const history = await readHistoryFile(officialExport);
    assert.equal(history[0]?.eventType, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED);
    const result = await assertDeterministicReplay(history, workflows);
    assert.equal(result.replayedTasks, 2);
    assert.deepEqual(
      result.trace.flat().map((command) => command.commandType),
      [
        CommandType.COMMAND_TYPE_START_TIMER,
        CommandType.COMMAND_TYPE_START_TIMER,
        CommandType.COMMAND_TYPE_CANCEL_TIMER,
        CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
      ],
    );
  });

  test('the JSON reader also takes a bare events array', async () => {
    const json = JSON.parse(await readFile(officialExport, 'utf8')) as { events: unknown[] };
    const history = historyFromJson(json.events);
    assert.equal(history.length, json.events.length);
    assert.equal(toNumber(history.at(-1)?.eventId), json.events.length);
  });

  test("protobufjs's object form (the CLI's show -o json: times as {seconds, nanos}) reads back and replays", async () => {
    const sim = await simulated('greeting', ['Ada']);
    const type = temporal.api.history.v1.History;
    const objectForm = type.toObject(type.fromObject({ events: sim.history }), {
      longs: String,
      enums: String,
      bytes: String,
    });
    const history = historyFromJson(JSON.parse(JSON.stringify(objectForm)));
    assert.equal(history.length, sim.history.length);
    await assertDeterministicReplay(history, workflows);
  });

  test('replaying the JSON history against changed code reports the first divergence', async () => {
    const history = await readHistoryFile(fixture);
    const changed = { greeting: basic.timerThenActivity };
    const result = await replayHistory(history, changed);
    assert.ok(result.divergence instanceof DeterminismViolationError);
    assert.equal(toNumber(result.divergence.event?.eventId), 5);
    assert.match(result.divergence.message, /ACTIVITY_TASK_SCHEDULED.*START_TIMER/);
  });

  test('assertDeterministicReplay throws the divergence for non-deterministic code', async () => {
    const sim = await simulated('greeting', ['Ada']);
    let flip = false;
    const flaky = {
      greeting: async (name: string) => {
        flip = !flip;
        if (flip) return basic.greeting(name);
        return basic.timerThenActivity(name);
      },
    };
    await assert.rejects(assertDeterministicReplay(sim.history, flaky), DeterminismViolationError);
  });
});

// The deterministic simulation in CI: a fixed set of seeds, the regression scenarios, the simulator's own
// determinism, and the checker and shrinker on cases whose answer is known. `node test/simulation/src/cli.ts --soak N`
// runs many more seeds (docs/simulation.md).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { temporal } from '@odin/api/public';
import { defaultPayloadConverter, type IHistoryEvent, toPayloads } from '@odin/sdk';
import { VirtualClock } from '@odin/hugo';
import type { PersistenceStore } from '@odin/persistence';
import { SeededRandom } from '@odin/runtime';
import { faultyStore, HEALTHY_STORE, type StoreFaultControl } from './src/faulty-store.js';
import { checkHistory, checkUpdateEvents } from './src/invariants.js';
import { NodeClock } from './src/node-clock.js';
import { Trace } from './src/trace.js';
import { replayCommand, scenarioForSeed } from './src/scenario.js';
import { describe as describeScenario, shrink } from './src/shrink.js';
import { type RunReport, runScenario } from './src/simulation.js';
import type { Fault, Scenario } from './src/workload.js';
import type { Plan } from './src/workflows.js';

const T = temporal.api.enums.v1.EventType;
/** Seeds every CI run goes through (about a second each on a quiet machine). */
const CI_SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);

function explain(report: RunReport): string {
  return [...report.failures, `replay: ${replayCommand(report.seed)}`].join('\n');
}

describe('simulation', () => {
  test(`seeds ${CI_SEEDS[0]}..${CI_SEEDS.at(-1)}: every invariant holds`, async () => {
    for (const seed of CI_SEEDS) {
      const report = await runScenario(scenarioForSeed(seed));
      assert.deepEqual(report.failures, [], explain(report));
      assert.ok(report.events > 0, `seed ${seed} ran no workflow`);
    }
  });

  test('every scenario that ever failed passes (test/simulation/regressions)', async () => {
    const dir = new URL('./regressions/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    assert.ok(files.length > 0);
    for (const file of files) {
      const scenario: Scenario = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
      const report = await runScenario(scenario);
      assert.deepEqual(report.failures, [], `${file}\n${explain(report)}`);
    }
  });

  test('the same seed gives the same trace hash, in this process and in another; another seed another one', async () => {
    const first = await runScenario(scenarioForSeed(5));
    const again = await runScenario(scenarioForSeed(5));
    const other = await runScenario(scenarioForSeed(6));
    assert.equal(again.traceHash, first.traceHash);
    assert.equal(again.traceLines, first.traceLines);
    assert.notEqual(other.traceHash, first.traceHash);
    // The replay command a failure prints, run as printed (in a fresh process), gives the same run.
    const cli = fileURLToPath(new URL('./src/cli.ts', import.meta.url));
    const replay = spawnSync(
      process.execPath,
      ['--conditions=@odin/source', '--import', 'tsx', cli, '--seed', '5'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(replay.status, 0, replay.stderr);
    assert.match(replay.stdout, new RegExp(`trace ${first.traceHash.slice(0, 16)}`));
  });

  test('a workflow whose result differs from what its code determines fails, naming it and the replay command', async () => {
    const scenario = scenarioForSeed(3);
    const target = scenario.workflows.find((w) => w.type === 'planned');
    assert.ok(target?.plan);
    // The workflow waits for one signal, the checker expects the sum of two: the second is sent long after the
    // workflow completed, so the result must be off by its value.
    const wrong: Scenario = {
      ...scenario,
      faults: [],
      workflows: [
        {
          ...target,
          plan: { ...target.plan, signals: 1, continues: 0 },
          signals: [
            { value: 5, atMs: target.startAtMs + 1 },
            { value: 7, atMs: target.startAtMs + 3_600_000 },
          ],
        },
      ],
    };
    const report = await runScenario(wrong);
    assert.ok(
      report.failures.some((f) => f.startsWith(`${target.workflowId}: result`)),
      report.failures.join('\n'),
    );
    assert.match(replayCommand(report.seed), /cli\.ts --seed 3$/);
  });
});

function event(eventId: number, eventType: number, attributes: Record<string, unknown> = {}): IHistoryEvent {
  return { eventId, eventType, ...attributes } as unknown as IHistoryEvent;
}

const valid: IHistoryEvent[] = [
  event(1, T.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED),
  event(2, T.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED),
  event(3, T.EVENT_TYPE_WORKFLOW_TASK_STARTED, {
    workflowTaskStartedEventAttributes: { scheduledEventId: 2 },
  }),
  event(4, T.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, {
    workflowTaskCompletedEventAttributes: { scheduledEventId: 2, startedEventId: 3 },
  }),
  event(5, T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED),
];

describe('history checker', () => {
  test('a valid history passes', () => {
    assert.deepEqual(checkHistory(valid), []);
  });

  test('a gap in event ids, a second close event and a dangling reference are each reported', () => {
    const gap = [...valid.slice(0, 4), event(6, T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)];
    assert.match(checkHistory(gap).join('\n'), /has id 6/);
    const twice = [...valid, event(6, T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)];
    assert.match(checkHistory(twice).join('\n'), /2 close events/);
    const dangling = valid.map((e) =>
      Number(e.eventId) === 3
        ? event(3, T.EVENT_TYPE_WORKFLOW_TASK_STARTED, {
            workflowTaskStartedEventAttributes: { scheduledEventId: 1 },
          })
        : e,
    );
    assert.match(checkHistory(dangling).join('\n'), /scheduledEventId 1 is not an earlier/);
  });

  test('an activity closed twice is reported', () => {
    const events = [
      ...valid.slice(0, 4),
      event(5, T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
      event(6, T.EVENT_TYPE_ACTIVITY_TASK_STARTED, {
        activityTaskStartedEventAttributes: { scheduledEventId: 5 },
      }),
      event(7, T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED, {
        activityTaskCompletedEventAttributes: { scheduledEventId: 5, startedEventId: 6 },
      }),
      event(8, T.EVENT_TYPE_ACTIVITY_TASK_FAILED, {
        activityTaskFailedEventAttributes: { scheduledEventId: 5, startedEventId: 6 },
      }),
      event(9, T.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED),
    ];
    assert.match(checkHistory(events).join('\n'), /closes 5, already closed by #7/);
  });
});

describe('update checker', () => {
  const accepted = (eventId: number, updateId: string) =>
    event(eventId, T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED, {
      workflowExecutionUpdateAcceptedEventAttributes: { acceptedRequest: { meta: { updateId } } },
    });
  const completed = (eventId: number, updateId: string, acceptedEventId: number, value: number) =>
    event(eventId, T.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED, {
      workflowExecutionUpdateCompletedEventAttributes: {
        meta: { updateId },
        acceptedEventId,
        outcome: { success: { payloads: toPayloads(defaultPayloadConverter, [value])?.payloads } },
      },
    });

  test('an accepted update completed once with its result passes; twice, with another result, or not at all fails', () => {
    const expected = new Map([['u-0', 70]]);
    assert.deepEqual(checkUpdateEvents([accepted(5, 'u-0'), completed(8, 'u-0', 5, 70)], expected), []);
    assert.match(
      checkUpdateEvents(
        [accepted(5, 'u-0'), completed(8, 'u-0', 5, 70), completed(9, 'u-0', 5, 70)],
        expected,
      ).join(),
      /completed twice/,
    );
    assert.match(
      checkUpdateEvents([accepted(5, 'u-0'), completed(8, 'u-0', 5, 60)], expected).join(),
      /completed with 60, expected 70/,
    );
    assert.match(checkUpdateEvents([accepted(5, 'u-0')], expected).join(), /never completed/);
    assert.match(checkUpdateEvents([accepted(5, 'u-1')], new Map()).join(), /its code rejects it/);
  });
});

describe('fence check', () => {
  test('a commit the database accepts with a fence older than an acquired range is reported', async () => {
    const base = new VirtualClock(0);
    const clock = new NodeClock(base);
    // A database that ignores fences, as a broken store would.
    const careless = {
      shards: { acquireShard: async (shardId: number) => ({ shardId, rangeId: 2, ownerHostId: 'b' }) },
      executions: { commitShardBatch: async () => ({ dbVersions: [1] }) },
    } as unknown as PersistenceStore;
    const control: StoreFaultControl = { faults: HEALTHY_STORE, acquired: new Map(), staleWrites: [] };
    const store = faultyStore(careless, { name: 'a', clock }, control, new SeededRandom(1), new Trace());
    await store.executions.commitShardBatch({ shardId: 3, rangeId: 1 }, []);
    assert.deepEqual(control.staleWrites, [], 'range 1 is current until someone acquires range 2');
    await store.shards.acquireShard(3, 'b', 1000, 0);
    await store.executions.commitShardBatch({ shardId: 3, rangeId: 1 }, []);
    assert.equal(control.staleWrites.length, 1);
    assert.match(control.staleWrites[0] ?? '', /shard 3 with range 1/);
  });
});

describe('shrinker', () => {
  test('reduces a failing scenario to the fault and the workflow the failure needs', async () => {
    const scenario = scenarioForSeed(11);
    assert.ok(scenario.faults.length >= 2 && scenario.workflows.length >= 2);
    const culpritFault = scenario.faults[1]!;
    const culpritWorkflow = scenario.workflows[0]!;
    const fake = async (s: Scenario): Promise<RunReport> => ({
      seed: s.seed,
      traceHash: '',
      failures: s.faults.includes(culpritFault) && s.workflows.includes(culpritWorkflow) ? ['fails'] : [],
      workflows: s.workflows.length,
      events: 0,
      traceLines: 0,
      virtualMs: 0,
      traceTail: [],
    });
    const result = await shrink(scenario, fake);
    assert.deepEqual(result.scenario.faults, [culpritFault]);
    assert.deepEqual(result.scenario.workflows, [culpritWorkflow]);
  });

  const fakeRun =
    (fails: (s: Scenario) => boolean) =>
    async (s: Scenario): Promise<RunReport> => ({
      seed: s.seed,
      traceHash: '',
      failures: fails(s) ? ['fails'] : [],
      workflows: s.workflows.length,
      events: 0,
      traceLines: 0,
      virtualMs: 0,
      traceTail: [],
    });

  test('shortens a fault window as far as the failure allows', async () => {
    const pause: Fault = { kind: 'pause', atMs: 10_000, forMs: 150_000, target: 'history-1' };
    const scenario: Scenario = { ...scenarioForSeed(11), faults: [pause] };
    const result = await shrink(
      scenario,
      fakeRun((s) => s.faults.some((f) => f.kind === 'pause' && f.forMs >= 10_000)),
    );
    assert.equal(result.scenario.faults.length, 1);
    const forMs = result.scenario.faults[0]?.forMs ?? 0;
    assert.ok(forMs >= 10_000 && forMs < 20_000, `pause of ${forMs} ms`);
  });

  test('an injected bug (a test-only invariant failing on any local activity) shrinks to one workflow with one local activity and no retry', async () => {
    // Seed 10: 6 workflows, 8 faults, a schedule; two workflows run a local activity (one retried twice).
    const scenario = scenarioForSeed(10);
    const hasLocal = (plan?: Plan): boolean =>
      plan !== undefined && (plan.localFailFirst !== undefined || hasLocal(plan.child));
    const culprits = scenario.workflows.filter((w) => hasLocal(w.plan)).map((w) => w.workflowId);
    assert.ok(culprits.length > 0 && scenario.faults.length > 2 && scenario.workflows.length > 2);
    const localActivityRan = (_workflowId: string, events: readonly IHistoryEvent[]) =>
      events.some((e) => e.eventType === T.EVENT_TYPE_MARKER_RECORDED) ? ['a local activity ran'] : [];
    const run = (s: Scenario) => runScenario(s, { extraHistoryCheck: localActivityRan });
    const result = await shrink(scenario, run);
    const [only] = result.scenario.workflows;
    assert.equal(result.scenario.workflows.length, 1, describeScenario(result.scenario));
    assert.ok(only && culprits.includes(only.workflowId));
    assert.deepEqual(result.scenario.faults, []);
    assert.equal(result.scenario.schedules, undefined);
    assert.deepEqual(only.signals, []);
    assert.equal(only.updates, undefined);
    assert.deepEqual(only.plan, {
      failFirst: [],
      hangFirst: [],
      timersMs: [],
      signals: 0,
      continues: 0,
      localFailFirst: 0,
    });
    assert.deepEqual(result.report.failures, [`${only.workflowId}: a local activity ran`]);
    // The reduced scenario is one exact run: run again, it fails the same way with the same trace.
    const again = await run(result.scenario);
    assert.equal(again.traceHash, result.report.traceHash);
    assert.match(replayCommand(10, 'sim-shrunk-10.json'), /cli\.ts --scenario sim-shrunk-10\.json$/);
  });
});

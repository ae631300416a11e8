import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VirtualClock } from '../src/clock.js';
import {
  DeterministicEffectStore,
  DeterministicGate,
  type DeterministicRecord,
  deterministicEffectId,
  InMemoryDeterministicStateStore,
  VersionGate,
  WorkflowExecution,
  WorkflowExecutionContext,
} from '../src/deterministic/index.js';
import { ErrorCodes, fail, HugoError, ok } from '../src/result/index.js';

const runContext = (runId: string) =>
  new WorkflowExecutionContext({ namespace: 'default', workflowId: 'wf-1', runId, taskQueue: 'q' });

describe('InMemoryDeterministicStateStore', () => {
  test('tryAdd inserts only when absent; set replaces', async () => {
    const store = new InMemoryDeterministicStateStore();
    const record = (payload: string): DeterministicRecord => ({
      kind: 'k',
      version: 0,
      payload,
      recordedAt: 1,
    });
    assert.equal(await store.tryAdd('a', record('1')), true);
    assert.equal(await store.tryAdd('a', record('2')), false);
    assert.equal((await store.get('a'))?.payload, '1');
    await store.set('a', record('3'));
    assert.equal((await store.get('a'))?.payload, '3');
    assert.equal(await store.get('missing'), undefined);
  });
});

describe('DeterministicEffectStore', () => {
  test('runs the effect once and replays the recorded value without calling it', async () => {
    const store = new InMemoryDeterministicStateStore();
    const effects = new DeterministicEffectStore(store, { scope: null, clock: new VirtualClock(99) });
    let calls = 0;
    const effect = async () => {
      calls++;
      return ok({ n: 42 });
    };
    assert.deepEqual(await effects.capture('e1', effect), ok({ n: 42 }));
    assert.deepEqual(await effects.capture('e1', effect), ok({ n: 42 }));
    assert.equal(calls, 1);
    const record = await store.get('e1');
    assert.equal(record?.kind, 'hugo.effect');
    assert.deepEqual(JSON.parse(record!.payload), {
      isSuccess: true,
      type: 'json',
      value: { n: 42 },
      recordedAt: 99,
    });
  });

  test('the first run returns the same JSON round-tripped value a replay returns', async () => {
    const effects = new DeterministicEffectStore(new InMemoryDeterministicStateStore(), { scope: null });
    const at = new Date(Date.UTC(2026, 0, 2));
    const first = await effects.capture('d', () => ok({ at, dropped: undefined }));
    const replay = await effects.capture('d', () => ok({ at, dropped: undefined }));
    assert.deepEqual(first, replay);
    assert.deepEqual(first, ok({ at: '2026-01-02T00:00:00.000Z' }));
  });

  test('records failures and replays them', async () => {
    const effects = new DeterministicEffectStore(new InMemoryDeterministicStateStore(), { scope: null });
    let calls = 0;
    const effect = () => {
      calls++;
      return fail<number>(HugoError.from('declined', 'payment.declined').withMetadata('amount', 5));
    };
    await effects.capture('pay', effect);
    const replayed = await effects.capture('pay', effect);
    assert.equal(calls, 1);
    assert.equal(replayed.error?.toString(), 'payment.declined: declined');
    assert.equal(replayed.error?.metadata.get('amount'), 5);
  });

  test('records a throw as error.exception', async () => {
    const effects = new DeterministicEffectStore(new InMemoryDeterministicStateStore(), { scope: null });
    let calls = 0;
    const effect = () => {
      calls++;
      throw new Error('crash');
    };
    assert.equal((await effects.capture('x', effect)).error?.code, ErrorCodes.Exception);
    assert.equal((await effects.capture('x', effect)).error?.message, 'crash');
    assert.equal(calls, 1);
  });

  test('does not record cancellations: a thrown AbortError propagates and the effect runs again', async () => {
    const store = new InMemoryDeterministicStateStore();
    const effects = new DeterministicEffectStore(store, { scope: null });
    let calls = 0;
    await assert.rejects(
      effects.capture('c', () => {
        calls++;
        throw new DOMException('stop', 'AbortError');
      }),
      (e: unknown) => e instanceof DOMException && e.name === 'AbortError',
    );
    assert.equal(store.size, 0);
    const returned = await effects.capture('c', () => {
      calls++;
      return fail(HugoError.canceled());
    });
    assert.equal(returned.error?.code, ErrorCodes.Canceled);
    assert.equal(store.size, 0);
    assert.deepEqual(
      await effects.capture('c', () => {
        calls++;
        return ok(1);
      }),
      ok(1),
    );
    assert.equal(calls, 3);
  });

  test('an aborted signal throws before the effect runs', async () => {
    const effects = new DeterministicEffectStore(new InMemoryDeterministicStateStore(), { scope: null });
    const controller = new AbortController();
    controller.abort(new Error('aborted'));
    let called = false;
    await assert.rejects(
      effects.capture(
        'a',
        () => {
          called = true;
          return ok(1);
        },
        controller.signal,
      ),
      /aborted/,
    );
    assert.equal(called, false);
  });

  test('a kind or type mismatch is error.deterministic.replay', async () => {
    const store = new InMemoryDeterministicStateStore();
    const effects = new DeterministicEffectStore(store, { scope: null });
    await store.set('v', { kind: 'hugo.version', version: 1, payload: '{"version":1}', recordedAt: 0 });
    const kind = await effects.capture('v', () => ok(1));
    assert.equal(kind.error?.code, ErrorCodes.DeterministicReplay);
    assert.equal(kind.error?.metadata.get('kind'), 'hugo.version');

    await effects.capture('t', () => ok('text'), undefined, { type: 'string' });
    const type = await effects.capture('t', () => ok(1), undefined, { type: 'number' });
    assert.equal(type.error?.code, ErrorCodes.DeterministicReplay);
    assert.equal(type.error?.metadata.get('storedType'), 'string');
    assert.equal(type.error?.metadata.get('requestedType'), 'number');
  });

  test('a concurrent capture that loses the insert returns the winner’s outcome', async () => {
    const store = new InMemoryDeterministicStateStore();
    const effects = new DeterministicEffectStore(store, { scope: null });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow = effects.capture('race', async () => {
      await gate;
      return ok('slow');
    });
    const fast = await effects.capture('race', async () => ok('fast'));
    release();
    assert.deepEqual(fast, ok('fast'));
    assert.deepEqual(await slow, ok('fast'));
  });

  test('keys are scoped per workflow run (ambient context)', async () => {
    const store = new InMemoryDeterministicStateStore();
    const effects = new DeterministicEffectStore(store);
    let calls = 0;
    const effect = () => ok(++calls);
    const first = await WorkflowExecution.enter(runContext('run-a'), () => effects.capture('e', effect));
    const second = await WorkflowExecution.enter(runContext('run-b'), () => effects.capture('e', effect));
    const replay = await WorkflowExecution.enter(runContext('run-a'), () => effects.capture('e', effect));
    assert.deepEqual([first, second, replay], [ok(1), ok(2), ok(1)]);
    assert.deepEqual(store.keys().sort(), ['default/wf-1/run-a|e', 'default/wf-1/run-b|e']);
  });

  test('an explicit scope wins over the ambient run', async () => {
    const store = new InMemoryDeterministicStateStore();
    const effects = new DeterministicEffectStore(store, { scope: 'tenant-7' });
    await WorkflowExecution.enter(runContext('r'), () => effects.capture('e', () => ok(1)));
    assert.deepEqual(store.keys(), ['tenant-7|e']);
  });

  test('stamps records with the injected clock', async () => {
    const clock = new VirtualClock(1234);
    const store = new InMemoryDeterministicStateStore();
    await new DeterministicEffectStore(store, { clock, scope: null }).capture('e', () => ok(1));
    assert.equal((await store.get('e'))?.recordedAt, 1234);
  });
});

describe('DeterministicGate', () => {
  const setup = () => {
    const store = new InMemoryDeterministicStateStore();
    const clock = new VirtualClock();
    const gate = new DeterministicGate(
      new VersionGate(store, { clock, scope: null }),
      new DeterministicEffectStore(store, { clock, scope: null }),
    );
    return { store, gate };
  };

  test('effect ids are "{changeId}::v{n}" and "{changeId}::v{n}::{step}"', () => {
    assert.equal(deterministicEffectId('change', 2), 'change::v2');
    assert.equal(deterministicEffectId('change', 2, ' step '), 'change::v2::step');
  });

  test('execute runs legacy below max and upgraded at max, captured under the version id', async () => {
    const { store, gate } = setup();
    const legacy = await gate.execute(
      'c1',
      1,
      2,
      () => ok('upgraded'),
      () => ok('legacy'),
    );
    assert.deepEqual(legacy, ok('legacy'));
    assert.ok(store.keys().includes('c1::v1'));
    const upgraded = await gate.execute(
      'c2',
      1,
      2,
      () => ok('upgraded'),
      () => ok('legacy'),
      { initialVersion: (c) => c.maxVersion },
    );
    assert.deepEqual(upgraded, ok('upgraded'));
  });

  test('a replay returns the recorded branch outcome without running it', async () => {
    const { gate } = setup();
    let runs = 0;
    const branch = () => ok(++runs);
    await gate.execute('c', 1, 1, branch, branch);
    assert.deepEqual(await gate.execute('c', 1, 1, branch, branch), ok(1));
    assert.equal(runs, 1);
  });

  test('the workflow builder matches forVersion, forRange and for in order, then the fallback', async () => {
    const { gate } = setup();
    const build = (changeId: string, initial: number) =>
      gate
        .workflow<string>(changeId, 1, 5, () => initial)
        .forVersion(1, () => ok('v1'))
        .forRange(2, 3, () => ok('v2-3'))
        .for(
          (d) => d.version === 4,
          () => ok('pred'),
        )
        .withFallback(() => ok('fallback'));
    assert.deepEqual(await build('a', 1).execute(), ok('v1'));
    assert.deepEqual(await build('b', 3).execute(), ok('v2-3'));
    assert.deepEqual(await build('c', 4).execute(), ok('pred'));
    assert.deepEqual(await build('d', 5).execute(), ok('fallback'));
  });

  test('no matching branch is error.version.conflict', async () => {
    const { gate } = setup();
    const r = await gate
      .workflow<string>('x', 1, 2)
      .forVersion(2, () => ok('v2'))
      .execute();
    assert.equal(r.error?.code, ErrorCodes.VersionConflict);
    assert.equal(r.error?.metadata.get('version'), 1);
  });

  test('branch steps are captured as "{changeId}::v{n}::{stepId}"', async () => {
    const { store, gate } = setup();
    const r = await gate
      .workflow<number>('order', 1, 1)
      .forVersion(1, async (ctx) => {
        const a = await ctx.capture('reserve', () => ok(2));
        return a.ok ? ok(a.value * 10) : a;
      })
      .execute();
    assert.deepEqual(r, ok(20));
    assert.ok(store.keys().includes('order::v1::reserve'));
    assert.ok(store.keys().includes('order::v1'));
  });

  test('invalid builder bounds throw', () => {
    const { gate } = setup();
    assert.throws(() => gate.workflow('x', 0, 1), RangeError);
    assert.throws(() => gate.workflow('x', 2, 1), RangeError);
    assert.throws(() => gate.workflow('x', 1, 2).forVersion(3, () => ok(1)), RangeError);
  });

  test('a branch throw is captured as error.exception', async () => {
    const { gate } = setup();
    const r = await gate
      .workflow<number>('t', 1, 1)
      .forVersion(1, () => {
        throw new Error('branch bug');
      })
      .execute();
    assert.equal(r.error?.code, ErrorCodes.Exception);
  });
});

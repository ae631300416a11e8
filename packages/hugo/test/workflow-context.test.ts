import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { Meter } from '@opentelemetry/api';
import { VirtualClock } from '../src/clock.js';
import { WorkflowExecution, WorkflowExecutionContext } from '../src/deterministic/index.js';
import { GoDiagnostics } from '../src/diagnostics.js';
import { HugoError } from '../src/result/index.js';

const make = (
  clock = new VirtualClock(1000),
  extra: Partial<ConstructorParameters<typeof WorkflowExecutionContext>[0]> = {},
) =>
  new WorkflowExecutionContext({
    namespace: 'ns',
    workflowId: 'wf',
    runId: 'run',
    taskQueue: 'tq',
    clock,
    ...extra,
  });

describe('WorkflowExecutionContext', () => {
  afterEach(() => GoDiagnostics.reset());

  test('Lamport clock: tick adds one, observe takes max + 1, reset sets', () => {
    const ctx = make();
    assert.equal(ctx.tick(), 1);
    assert.equal(ctx.observe(10), 11);
    assert.equal(ctx.observe(3), 12);
    ctx.resetLogicalClock(4);
    assert.equal(ctx.logicalClock, 4);
    assert.throws(() => ctx.observe(-1), RangeError);
    assert.throws(() => ctx.resetLogicalClock(-1), RangeError);
  });

  test('replay count increments', () => {
    const ctx = make(undefined, { replayCount: 2 });
    assert.equal(ctx.incrementReplayCount(), 3);
    assert.equal(ctx.replayCount, 3);
  });

  test('validates names and counters', () => {
    assert.throws(() => make(undefined, { namespace: ' ' }), TypeError);
    assert.throws(() => make(undefined, { logicalClock: -1 }), RangeError);
    assert.throws(() => make(undefined, { metadata: { '': 'x' } }), TypeError);
  });

  test('complete returns a visibility record once; a second call throws', async () => {
    const clock = new VirtualClock(1000);
    const ctx = make(clock, { metadata: { team: 'a' }, scheduleId: 'sched' });
    await clock.advance(500);
    const record = ctx.complete('completed', undefined, { extra: 'y' });
    assert.equal(record.status, 'completed');
    assert.equal(record.startedAt, 1000);
    assert.equal(record.completedAt, 1500);
    assert.equal(record.logicalClock, 1);
    assert.equal(record.scheduleId, 'sched');
    assert.deepEqual(record.attributes, { team: 'a', extra: 'y' });
    assert.equal(ctx.completionStatus, 'completed');
    assert.throws(() => ctx.complete('failed'), /already completed/);
  });

  test('a completion error gets workflow.* metadata and appears in the attributes', () => {
    const ctx = make(undefined, { metadata: { team: 'a' } });
    ctx.tick();
    const record = ctx.complete('failed', HugoError.from('bad', 'app.bad'));
    const error = ctx.completionError!;
    assert.equal(error.metadata.get('workflow.namespace'), 'ns');
    assert.equal(error.metadata.get('workflow.id'), 'wf');
    assert.equal(error.metadata.get('workflow.run_id'), 'run');
    assert.equal(error.metadata.get('workflow.task_queue'), 'tq');
    assert.equal(error.metadata.get('workflow.logical_clock'), 2);
    assert.equal(error.metadata.get('workflow.metadata.team'), 'a');
    assert.equal(record.attributes['error.code'], 'app.bad');
    assert.equal(record.attributes['error.message'], 'bad');
  });

  test('snapshotVisibility reports an active run', () => {
    const ctx = make();
    const snap = ctx.snapshotVisibility();
    assert.equal(snap.status, 'active');
    assert.equal(snap.completedAt, undefined);
  });

  test('scopeKey escapes its parts', () => {
    assert.equal(make(undefined, { workflowId: 'a/b' }).scopeKey, 'ns/a%2Fb/run');
  });
});

describe('WorkflowExecution ambient scope', () => {
  afterEach(() => GoDiagnostics.reset());

  test('current follows async calls inside enter and is absent outside', async () => {
    const ctx = make();
    assert.equal(WorkflowExecution.current(), undefined);
    const seen = await WorkflowExecution.enter(ctx, async () => {
      await new Promise((r) => setImmediate(r));
      return WorkflowExecution.requireCurrent();
    });
    assert.equal(seen, ctx);
    assert.equal(WorkflowExecution.hasCurrent, false);
    assert.throws(() => WorkflowExecution.requireCurrent(), /No workflow execution context/);
  });

  test('nested scopes stack and unwind', () => {
    const outer = make();
    const inner = make(undefined, { runId: 'inner' });
    WorkflowExecution.enter(outer, () => {
      WorkflowExecution.enter(inner, () => assert.equal(WorkflowExecution.current(), inner));
      assert.equal(WorkflowExecution.current(), outer);
    });
  });

  test('enter marks the run started once (ticks the clock) and carries the signal', () => {
    const ctx = make();
    const controller = new AbortController();
    WorkflowExecution.enter(ctx, () => assert.equal(WorkflowExecution.currentSignal(), controller.signal), {
      signal: controller.signal,
    });
    WorkflowExecution.enter(ctx, () => {});
    assert.equal(ctx.logicalClock, 1);
    assert.equal(ctx.completionStatus, undefined);
  });

  test('emits workflow.* metrics when diagnostics are configured', () => {
    const log: string[] = [];
    const instrument = (name: string) => ({
      add: (v: number) => log.push(`${name}:${v}`),
      record: (v: number) => log.push(`${name}:${v}`),
    });
    const meter = {
      createCounter: instrument,
      createHistogram: instrument,
      createUpDownCounter: instrument,
    } as unknown as Meter;
    GoDiagnostics.configure({ meter });
    const clock = new VirtualClock(0);
    const ctx = make(clock);
    WorkflowExecution.enter(ctx, () => {});
    ctx.complete('canceled');
    assert.deepEqual(log, [
      'workflow.started:1',
      'workflow.active:1',
      'workflow.canceled:1',
      'workflow.active:-1',
      'workflow.duration:0',
      'workflow.replay.count:0',
      'workflow.logical.clock:2',
    ]);
  });
});

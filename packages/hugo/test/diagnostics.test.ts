import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { Meter, Span, Tracer } from '@opentelemetry/api';
import { GoDiagnostics } from '../src/diagnostics.js';
import { bind, castFailure, fail, HugoError, map, ok } from '../src/result/index.js';

interface Recorded {
  kind: string;
  name: string;
  value: number;
}

function fakeMeter(log: Recorded[]): Meter {
  const make = (kind: string) => (name: string) => ({
    add: (value: number) => log.push({ kind, name, value }),
    record: (value: number) => log.push({ kind, name, value }),
  });
  return {
    createCounter: make('counter'),
    createHistogram: make('histogram'),
    createUpDownCounter: make('upDownCounter'),
  } as unknown as Meter;
}

interface FakeSpan {
  name: string;
  ended: boolean;
  status?: number;
  attributes: Record<string, unknown>;
}

function fakeTracer(spans: FakeSpan[]): Tracer {
  return {
    startActiveSpan(
      name: string,
      options: { attributes?: Record<string, unknown> },
      fn: (span: Span) => unknown,
    ) {
      const record: FakeSpan = { name, ended: false, attributes: { ...options.attributes } };
      spans.push(record);
      const span = {
        end: () => void (record.ended = true),
        setStatus: (s: { code: number }) => void (record.status = s.code),
        setAttribute: (k: string, v: unknown) => void (record.attributes[k] = v),
        recordException: () => undefined,
      } as unknown as Span;
      return fn(span);
    },
  } as unknown as Tracer;
}

describe('GoDiagnostics', () => {
  afterEach(() => GoDiagnostics.reset());

  test('is silent until configured: instruments are no-ops and results are not counted', () => {
    assert.equal(GoDiagnostics.isConfigured, false);
    GoDiagnostics.counter('taskqueue.enqueued').add(1);
    GoDiagnostics.record('workflow.started', 1);
    ok(1);
    assert.equal(GoDiagnostics.countsResults, false);
  });

  test('uses the "Hugo.Go" name and the 1.27.0 schema when taking a meter from a provider', () => {
    const calls: unknown[][] = [];
    GoDiagnostics.configure({
      meterProvider: {
        getMeter: (...args: unknown[]) => {
          calls.push(args);
          return fakeMeter([]);
        },
      },
      tracer: fakeTracer([]),
    });
    assert.equal(calls[0]?.[0], 'Hugo.Go');
    assert.deepEqual(calls[0]?.[2], { schemaUrl: 'https://opentelemetry.io/schemas/1.27.0' });
  });

  test('routes catalogued metrics to the right instrument kind once configured', () => {
    const log: Recorded[] = [];
    GoDiagnostics.configure({ meter: fakeMeter(log), tracer: fakeTracer([]) });
    GoDiagnostics.record('taskqueue.enqueued', 1);
    GoDiagnostics.record('workflow.duration', 25);
    GoDiagnostics.record('workflow.active', -1);
    assert.deepEqual(log, [
      { kind: 'counter', name: 'taskqueue.enqueued', value: 1 },
      { kind: 'histogram', name: 'workflow.duration', value: 25 },
      { kind: 'upDownCounter', name: 'workflow.active', value: -1 },
    ]);
  });

  test('creates instruments with Hugo’s units and descriptions', () => {
    const created = new Map<string, { unit?: string; description?: string }>();
    const remember = (name: string, options: { unit?: string; description?: string }) => {
      created.set(name, options);
      return { add: () => {}, record: () => {} };
    };
    const meter = {
      createCounter: remember,
      createHistogram: remember,
      createUpDownCounter: remember,
    } as unknown as Meter;
    GoDiagnostics.configure({ meter, tracer: fakeTracer([]) });
    GoDiagnostics.record('taskqueue.leased', 1);
    GoDiagnostics.record('taskqueue.lease.duration', 5);
    GoDiagnostics.record('workflow.logical.clock', 3);
    GoDiagnostics.record('channel.depth', 2);
    assert.equal(created.get('taskqueue.leased')?.unit, 'leases');
    assert.equal(created.get('taskqueue.lease.duration')?.unit, 'ms');
    assert.equal(created.get('workflow.logical.clock')?.unit, 'ticks');
    assert.deepEqual(created.get('channel.depth'), {
      unit: 'items',
      description: 'Values a consumer found buffered in a channel.',
    });
  });

  test('counts results only when configured with countResults', () => {
    const log: Recorded[] = [];
    GoDiagnostics.configure({ meter: fakeMeter(log), tracer: fakeTracer([]) });
    ok(1);
    assert.equal(log.length, 0);
    GoDiagnostics.configure({ meter: fakeMeter(log), tracer: fakeTracer([]), countResults: true });
    ok(1);
    fail(HugoError.from('x'));
    assert.deepEqual(
      log.map((r) => r.name),
      ['result.successes', 'result.failures'],
    );
  });

  test('passing a failure along (castFailure, map on a failure) is not counted again', () => {
    const log: Recorded[] = [];
    GoDiagnostics.configure({ meter: fakeMeter(log), tracer: fakeTracer([]), countResults: true });
    const failed = fail<number>(HugoError.from('x'));
    castFailure<string>(failed);
    map(failed, (v) => v + 1);
    bind(failed, (v) => ok(v));
    assert.deepEqual(
      log.map((r) => r.name),
      ['result.failures'],
    );
  });

  test('reset makes it silent again', () => {
    const log: Recorded[] = [];
    GoDiagnostics.configure({ meter: fakeMeter(log), tracer: fakeTracer([]), countResults: true });
    GoDiagnostics.reset();
    ok(1);
    GoDiagnostics.record('workflow.started', 1);
    assert.equal(log.length, 0);
  });

  test('withSpan ends the span, marks failed results and throws as errors, and returns the value', async () => {
    const spans: FakeSpan[] = [];
    GoDiagnostics.configure({ meter: fakeMeter([]), tracer: fakeTracer(spans) });
    assert.equal(
      GoDiagnostics.withSpan('sync', () => 5),
      5,
    );
    const failed = await GoDiagnostics.withSpan('async', async () => fail(HugoError.timeout()));
    assert.equal(failed.ok, false);
    await assert.rejects(
      GoDiagnostics.withSpan('throws', async () => {
        throw new Error('x');
      }),
      /x/,
    );
    assert.deepEqual(
      spans.map((s) => [s.name, s.ended, s.status]),
      [
        ['sync', true, undefined],
        ['async', true, 2],
        ['throws', true, 2],
      ],
    );
    assert.equal(spans[1]?.attributes['error.code'], 'error.timeout');
  });

  test('withSpan still runs the function when not configured', async () => {
    assert.equal(await GoDiagnostics.withSpan('x', async () => 'done'), 'done');
  });
});

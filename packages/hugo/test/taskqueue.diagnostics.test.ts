import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Attributes, Meter, Span, Tracer } from '@opentelemetry/api';
import { VirtualClock } from '../src/clock.js';
import { boundedChannel, unboundedChannel } from '../src/channels/channel.js';
import { channelCase, select } from '../src/channels/select.js';
import { GoDiagnostics } from '../src/diagnostics.js';
import { HugoError } from '../src/result/error.js';
import { WaitGroup } from '../src/sync/waitgroup.js';
import { TaskQueue } from '../src/taskqueue/task-queue.js';

interface Recorded {
  name: string;
  value: number;
  attributes: Attributes | undefined;
}

const recorded: Recorded[] = [];
const spans: string[] = [];

function instrument(name: string) {
  const push = (value: number, attributes?: Attributes) => {
    recorded.push({ name, value, attributes });
  };
  return { add: push, record: push };
}

const meter = {
  createCounter: instrument,
  createHistogram: instrument,
  createUpDownCounter: instrument,
} as unknown as Meter;

const span = {
  setAttribute: () => span,
  setStatus: () => span,
  recordException: () => {},
  end: () => {},
} as unknown as Span;

const tracer = {
  startActiveSpan: (name: string, _options: unknown, fn: (s: Span) => unknown) => {
    spans.push(name);
    return fn(span);
  },
} as unknown as Tracer;

function names(prefix: string): string[] {
  return [...new Set(recorded.filter((r) => r.name.startsWith(prefix)).map((r) => r.name))].sort();
}

describe('diagnostics of the concurrency primitives', () => {
  before(() => GoDiagnostics.configure({ meter, tracer }));
  after(() => GoDiagnostics.reset());

  test('the task queue records Hugo metric names tagged with taskqueue.name, and spans', async () => {
    const clock = new VirtualClock(0);
    const queue = new TaskQueue<string>(
      {
        name: 'orders',
        leaseDurationMs: 100,
        leaseSweepIntervalMs: 50,
        heartbeatIntervalMs: 0,
        maxDeliveryAttempts: 2,
      },
      { clock },
    );
    await queue.enqueue('a');
    await queue.enqueue('b');
    const a = await queue.lease();
    await a.heartbeat();
    await a.complete();
    const b = await queue.lease();
    await b.fail(HugoError.from('nope'));
    await queue.lease();
    await clock.advance(100);
    await queue.dispose();
    assert.deepEqual(names('taskqueue.'), [
      'taskqueue.active',
      'taskqueue.active.depth',
      'taskqueue.completed',
      'taskqueue.deadlettered',
      'taskqueue.enqueued',
      'taskqueue.expired',
      'taskqueue.failed',
      'taskqueue.heartbeat.extension',
      'taskqueue.heartbeats',
      'taskqueue.lease.duration',
      'taskqueue.leased',
      'taskqueue.pending',
      'taskqueue.pending.depth',
      'taskqueue.requeued',
    ]);
    assert.ok(
      recorded
        .filter((r) => r.name.startsWith('taskqueue.'))
        .every((r) => r.attributes?.['taskqueue.name'] === 'orders'),
    );
    for (const name of [
      'TaskQueue.enqueue',
      'TaskQueue.lease',
      'TaskQueue.heartbeat',
      'TaskQueue.complete',
      'TaskQueue.fail.requeue',
    ]) {
      assert.ok(spans.includes(name), `span ${name}`);
    }
  });

  test('backpressure transitions record hugo.taskqueue.backpressure.* tagged with the queue name', async () => {
    const clock = new VirtualClock(0);
    const queue = new TaskQueue<number>(
      { name: 'bp', backpressure: { highWatermark: 2, lowWatermark: 1 } },
      { clock },
    );
    await queue.enqueue(1);
    await queue.enqueue(2);
    await clock.advance(40);
    await queue.lease();
    await queue.dispose();
    const transitions = recorded.filter((r) => r.name.startsWith('hugo.taskqueue.backpressure.'));
    assert.deepEqual(names('hugo.taskqueue.backpressure.'), [
      'hugo.taskqueue.backpressure.active',
      'hugo.taskqueue.backpressure.duration',
      'hugo.taskqueue.backpressure.pending',
      'hugo.taskqueue.backpressure.transitions',
    ]);
    assert.deepEqual(
      transitions.filter((r) => r.name === 'hugo.taskqueue.backpressure.active').map((r) => r.value),
      [1, -1],
    );
    assert.deepEqual(
      transitions.filter((r) => r.name === 'hugo.taskqueue.backpressure.duration').map((r) => r.value),
      [0, 40],
    );
    assert.ok(transitions.every((r) => r.attributes?.['taskqueue.name'] === 'bp'));
  });

  test('select and wait groups record their metrics', async () => {
    const clock = new VirtualClock(0);
    const ch = unboundedChannel<number>();
    ch.tryWrite(1);
    await select([channelCase(ch, (v) => v)], { clock });
    const timing = select([channelCase(ch, (v) => v)], { clock, timeoutMs: 10 });
    await clock.advance(10);
    await timing;
    assert.deepEqual(names('channel.select.'), [
      'channel.select.attempts',
      'channel.select.completions',
      'channel.select.latency',
      'channel.select.timeouts',
    ]);
    assert.ok(spans.includes('Go.Select'));
    const wg = new WaitGroup();
    wg.add(2);
    wg.done();
    wg.done();
    assert.deepEqual(names('waitgroup.'), [
      'waitgroup.additions',
      'waitgroup.completions',
      'waitgroup.outstanding',
    ]);
  });

  test('channels record channel.depth, the buffered count a consumer finds, for each value it takes', async () => {
    const depths = () => recorded.filter((r) => r.name === 'channel.depth').map((r) => r.value);
    const before = depths().length;
    const ch = boundedChannel<number>(2);
    const handedOver = ch.read();
    await ch.write(0); // straight to the waiting reader: never buffered, nothing recorded
    assert.equal(await handedOver, 0);
    await ch.write(1);
    await ch.write(2);
    const blocked = ch.write(3);
    assert.equal(ch.tryRead().ok, true); // found 2; the parked write then fills the freed slot
    await blocked;
    assert.equal(await ch.read(), 2); // found 2
    assert.equal(ch.tryRead().ok, true); // found 1
    assert.deepEqual(depths().slice(before), [2, 2, 1]);
  });
});

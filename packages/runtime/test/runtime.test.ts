import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { VirtualClock } from '@odin/hugo';
import { loadConfig } from '../src/config.js';
import { createRuntimeContext } from '../src/context.js';
import { createLogger, logFields, withLogContext } from '../src/logger.js';
import { OdinMetrics } from '../src/metrics.js';
import { CryptoRandom, SeededRandom } from '../src/random.js';

function captureLines(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('logger', () => {
  test('child contexts write the snake_case workflow fields and the clock time', () => {
    const clock = new VirtualClock(Date.UTC(2026, 0, 2, 3, 4, 5));
    const { stream, lines } = captureLines();
    const logger = createLogger({ level: 'info', clock, destination: stream });
    withLogContext(logger, {
      namespace: 'default',
      workflowId: 'wf-1',
      runId: 'run-1',
      activityId: 'a-1',
      workerIdentity: 'w@host',
      correlationId: 'c-1',
    }).info('hello');
    const [line] = lines();
    assert.ok(line);
    assert.equal(line.namespace, 'default');
    assert.equal(line.workflow_id, 'wf-1');
    assert.equal(line.run_id, 'run-1');
    assert.equal(line.activity_id, 'a-1');
    assert.equal(line.worker_identity, 'w@host');
    assert.equal(line.correlation_id, 'c-1');
    assert.equal(line.msg, 'hello');
    assert.equal(line.time, '2026-01-02T03:04:05.000Z');
  });

  test('logFields leaves out unset and empty values', () => {
    assert.deepEqual(logFields({ namespace: 'ns', runId: '', workflowId: undefined }), { namespace: 'ns' });
  });
});

describe('metrics', () => {
  test('exposes the documented metric names on a registry of its own', async () => {
    const a = new OdinMetrics();
    const b = new OdinMetrics();
    a.workflowDurationSeconds.observe({ namespace: 'default', workflow_type: 'W', status: 'completed' }, 1.5);
    a.taskQueueLatencySeconds.observe({ queue_name: 'q', task_type: 'workflow' }, 0.01);
    a.historyShardOwnership.set({ shard_id: '3', host: 'h' }, 1);
    a.workflowReplayCount.inc({ namespace: 'default', workflow_type: 'W' });
    const text = await a.expose();
    assert.match(
      text,
      /workflow_duration_seconds_count\{namespace="default",workflow_type="W",status="completed"\} 1/,
    );
    assert.match(text, /task_queue_latency_seconds_count\{queue_name="q",task_type="workflow"\} 1/);
    assert.match(text, /history_shard_ownership\{shard_id="3",host="h"\} 1/);
    assert.match(text, /workflow_replay_count\{namespace="default",workflow_type="W"\} 1/);
    assert.doesNotMatch(await b.expose(), /workflow_duration_seconds_count\{/);
  });

  test('exposes the process and Node.js metrics after its own, collected once per process', async () => {
    const a = new OdinMetrics();
    const b = new OdinMetrics();
    assert.equal(a.processRegistry, b.processRegistry);
    const text = await a.expose();
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_gc_duration_seconds',
    ]) {
      assert.equal(text.match(new RegExp(`^# TYPE ${name} `, 'gm'))?.length, 1, name);
    }
    assert.ok(
      text.indexOf('# TYPE workflow_duration_seconds') < text.indexOf('# TYPE process_cpu_seconds_total'),
    );
    const labelled = await new OdinMetrics({ defaultLabels: { cluster: 'c1' } }).expose();
    assert.match(labelled, /^process_cpu_seconds_total\{cluster="c1"\} /m);
  });
});

describe('random', () => {
  test('a seeded source repeats its sequence for the same seed', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const seqA = [a.next(), a.int(100), a.uuid()];
    const seqB = [b.next(), b.int(100), b.uuid()];
    assert.deepEqual(seqA, seqB);
    assert.notDeepEqual(seqA, [new SeededRandom(43).next(), 0, '']);
  });

  test('uuids are version 4 and values stay in range', () => {
    for (const source of [new SeededRandom(7), new CryptoRandom()]) {
      for (let i = 0; i < 50; i++) {
        assert.match(source.uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        const n = source.next();
        assert.ok(n >= 0 && n < 1);
        const k = source.int(10);
        assert.ok(Number.isInteger(k) && k >= 0 && k < 10);
      }
    }
  });
});

describe('createRuntimeContext', () => {
  test('uses what it is given and fills the rest', () => {
    const clock = new VirtualClock();
    const store = { kind: 'fake-store' };
    const ctx = createRuntimeContext({
      store,
      clock,
      random: new SeededRandom(1),
      config: loadConfig({}),
      hostId: 'host-a',
    });
    assert.equal(ctx.clock, clock);
    assert.equal(ctx.store, store);
    assert.equal(ctx.hostId, 'host-a');
    assert.equal(ctx.config.shardCount, 512);
    assert.ok(ctx.metrics instanceof OdinMetrics);
    assert.equal(typeof ctx.tracer.startSpan, 'function');
  });

  test('derives a host id from the random source when none is configured', () => {
    const ctx = createRuntimeContext({ store: null, random: new SeededRandom(5), config: loadConfig({}) });
    assert.match(ctx.hostId, /^odin-[0-9a-f]{8}$/);
  });
});

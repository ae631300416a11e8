import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { VirtualClock } from '../src/clock.js';
import { ErrorCodes, HugoError } from '../src/result/error.js';
import { ResultError } from '../src/result/result.js';
import type { TaskQueueLease } from '../src/taskqueue/lease.js';
import { TaskQueueChannelAdapter } from '../src/taskqueue/adapter.js';
import { TaskQueue } from '../src/taskqueue/task-queue.js';

type Step =
  | { kind: 'enqueue' }
  | { kind: 'lease' }
  | { kind: 'complete'; pick: number }
  | { kind: 'fail'; pick: number; requeue: boolean }
  | { kind: 'heartbeat'; pick: number }
  | { kind: 'advance'; ms: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.constant({ kind: 'enqueue' as const }),
  fc.constant({ kind: 'lease' as const }),
  fc.record({ kind: fc.constant('complete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('fail' as const), pick: fc.nat(), requeue: fc.boolean() }),
  fc.record({ kind: fc.constant('heartbeat' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 400 }) }),
);

const optionsArb = fc.record({
  leaseDurationMs: fc.integer({ min: 50, max: 300 }),
  heartbeatIntervalMs: fc.integer({ min: 0, max: 100 }),
  leaseSweepIntervalMs: fc.integer({ min: 10, max: 100 }),
  requeueDelayMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200 })),
  maxDeliveryAttempts: fc.integer({ min: 1, max: 4 }),
  capacity: fc.integer({ min: 1, max: 8 }),
});

function isInactive(error: unknown): boolean {
  return error instanceof ResultError && error.error.code === ErrorCodes.TaskQueueLeaseInactive;
}

describe('TaskQueue properties', () => {
  test('every enqueued item ends completed or dead-lettered exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(optionsArb, fc.array(stepArb, { maxLength: 60 }), async (options, steps) => {
        const clock = new VirtualClock(0);
        const outcomes = new Map<number, string[]>();
        const note = (sequenceId: number, outcome: string) => {
          outcomes.set(sequenceId, [...(outcomes.get(sequenceId) ?? []), outcome]);
        };
        const queue = new TaskQueue<number>(options, {
          clock,
          deadLetter: (ctx) => note(ctx.sequenceId, 'deadLettered'),
        });
        // Every lease ever granted stays here, so stale leases keep being poked after they expired or ended.
        const leases: TaskQueueLease<number>[] = [];
        let enqueued = 0;
        const failure = HugoError.from('worker failed', 'test.failure');

        const act = async (step: Step) => {
          switch (step.kind) {
            case 'enqueue':
              if (queue.pendingCount < options.capacity) {
                enqueued++;
                await queue.enqueue(enqueued);
              }
              return;
            case 'lease':
              if (queue.pendingCount > 0) leases.push(await queue.lease());
              return;
            case 'advance':
              await clock.advance(step.ms);
              return;
          }
          const picked = leases[step.pick % Math.max(1, leases.length)];
          if (!picked) return;
          try {
            if (step.kind === 'complete') {
              await picked.complete();
              note(picked.sequenceId, 'completed');
            } else if (step.kind === 'fail') {
              await picked.fail(failure, step.requeue);
            } else {
              await picked.heartbeat();
            }
          } catch (error) {
            assert.ok(isInactive(error), `unexpected error ${String(error)}`);
          }
        };

        for (const step of steps) await act(step);

        // Drive everything to an end: lease what is pending or delayed, then complete it.
        for (let guard = 0; guard < 1_000; guard++) {
          if (queue.pendingCount > 0) {
            const lease = await queue.lease();
            await lease.complete();
            note(lease.sequenceId, 'completed');
            continue;
          }
          if (queue.delayedCount > 0 || queue.activeLeaseCount > 0) {
            await clock.advance(options.leaseSweepIntervalMs);
            continue;
          }
          break;
        }
        await queue.dispose();

        assert.equal(outcomes.size, enqueued, 'every item reached an outcome');
        for (const [sequenceId, list] of outcomes) {
          assert.equal(list.length, 1, `item ${sequenceId} ended ${list.join(', ')}`);
        }
        for (const lease of leases) assert.ok(lease.attempt <= options.maxDeliveryAttempts);
      }),
      { numRuns: 200 },
    );
  });

  test('a worker heartbeating every h ms (interval <= h < lease duration) never loses its lease', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 500 }),
        fc.integer({ min: 0, max: 500 }),
        fc.integer({ min: 1, max: 100 }),
        fc.nat(),
        fc.integer({ min: 1, max: 20 }),
        async (leaseDurationMs, intervalSeed, leaseSweepIntervalMs, periodSeed, beats) => {
          const heartbeatIntervalMs = intervalSeed % leaseDurationMs;
          const shortest = Math.max(1, heartbeatIntervalMs);
          const period = shortest + (periodSeed % (leaseDurationMs - shortest));
          const clock = new VirtualClock(0);
          const queue = new TaskQueue<string>(
            { leaseDurationMs, heartbeatIntervalMs, leaseSweepIntervalMs },
            { clock },
          );
          await queue.enqueue('work');
          const lease = await queue.lease();
          for (let i = 0; i < beats; i++) {
            await clock.advance(period);
            await lease.heartbeat();
          }
          await lease.complete();
          assert.equal(queue.pendingCount + queue.delayedCount, 0, 'the item never came back');
          await queue.dispose();
        },
      ),
      { numRuns: 200 },
    );
  });

  test('the channel adapter delivers every item once and never holds more than `concurrency` unread leases', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 1, max: 4 }),
        fc.nat({ max: 10 }),
        fc.integer({ min: 1, max: 3 }),
        async (s, concurrency, itemCount, consumerCount) => {
          const clock = new VirtualClock(0);
          const queue = new TaskQueue<number>({ leaseDurationMs: 60_000 }, { clock });
          const adapter = TaskQueueChannelAdapter.create(queue, { concurrency });
          const producer = (async () => {
            for (let i = 0; i < itemCount; i++) {
              await s.schedule(Promise.resolve(), `enqueue ${i}`);
              await queue.enqueue(i);
            }
          })();
          const delivered: [number, number][] = [];
          let inHand = 0;
          const consumers = Array.from({ length: consumerCount }, async (_, c) => {
            while (delivered.length < itemCount) {
              await s.schedule(Promise.resolve(), `consumer ${c}`);
              assert.ok(adapter.reader.count <= concurrency, 'unread leases within the credit');
              assert.ok(
                queue.activeLeaseCount - inHand <= concurrency,
                'leases out of workers’ hands within the credit',
              );
              const controller = new AbortController();
              s.schedule(Promise.resolve(), `give up ${c}`).then(() => controller.abort());
              let lease: TaskQueueLease<number>;
              try {
                lease = await adapter.reader.read(controller.signal);
              } catch (error) {
                assert.equal((error as Error).name, 'AbortError');
                continue;
              }
              inHand++;
              delivered.push([lease.value, lease.attempt]);
              await s.schedule(Promise.resolve(), `work ${lease.value}`);
              await lease.complete();
              inHand--;
            }
          });
          await s.waitFor(Promise.all([producer, ...consumers]));
          assert.deepEqual(
            delivered.map(([v]) => v).sort((a, b) => a - b),
            Array.from({ length: itemCount }, (_, i) => i),
          );
          assert.ok(
            delivered.every(([, attempt]) => attempt === 1),
            'no lease was lost and redelivered',
          );
          await adapter.dispose();
          await queue.dispose();
        },
      ),
      { numRuns: 100 },
    );
  });
});

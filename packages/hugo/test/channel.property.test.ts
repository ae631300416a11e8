import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { boundedChannel, type Channel, unboundedChannel } from '../src/channels/channel.js';
import { fanIn } from '../src/channels/fan.js';
import { PrioritizedChannel } from '../src/channels/prioritized.js';
import { channelCase, select } from '../src/channels/select.js';
import type { ChannelReader } from '../src/channels/types.js';
import { ErrorCodes } from '../src/result/error.js';

const batchesArb = fc.array(fc.nat({ max: 6 }), { minLength: 1, maxLength: 4 });
const capacityArb = fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined });

function makeChannels(
  sizes: number[],
  capacity: number | undefined,
): { channels: Channel<number>[]; ids: number[][] } {
  let next = 0;
  const ids = sizes.map((n) => Array.from({ length: n }, () => next++));
  const channels = sizes.map(() =>
    capacity ? boundedChannel<number>(capacity) : unboundedChannel<number>(),
  );
  return { channels, ids };
}

function sorted(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Readers that keep reading until `channel` drains, each read abandoned at a moment the scheduler picks. */
function competingReaders<T>(
  s: fc.Scheduler,
  readerCount: number,
  channel: ChannelReader<T>,
  received: T[],
): Promise<void>[] {
  return Array.from({ length: readerCount }, async (_, r) => {
    for (;;) {
      await s.schedule(Promise.resolve(), `reader ${r}`);
      const controller = new AbortController();
      s.schedule(Promise.resolve(), `abort ${r}`).then(() => controller.abort());
      try {
        received.push(await channel.read(controller.signal));
      } catch (error) {
        if (channel.isDrained) return;
        assert.equal((error as Error).name, 'AbortError');
      }
    }
  });
}

describe('channel properties', () => {
  test('no value is lost or duplicated through select loops with aborted waits', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        batchesArb,
        capacityArb,
        fc.integer({ min: 1, max: 3 }),
        async (s, sizes, capacity, consumerCount) => {
          const { channels, ids } = makeChannels(sizes, capacity);
          const producers = ids.map(async (values, i) => {
            for (const v of values) {
              await s.schedule(Promise.resolve(), `write ${v}`);
              await channels[i]!.write(v);
            }
            channels[i]!.complete();
          });
          const received: number[] = [];
          const consumers = Array.from({ length: consumerCount }, async (_, c) => {
            for (;;) {
              await s.schedule(Promise.resolve(), `consumer ${c} loop`);
              // Some selects are abandoned midway: they must give back nothing they took.
              const controller = new AbortController();
              s.schedule(Promise.resolve(), `abort ${c}`).then(() => controller.abort());
              const r = await select(
                channels.map((ch) => channelCase(ch, (v: number) => received.push(v))),
                { signal: controller.signal },
              );
              if (!r.ok && r.error.code === ErrorCodes.SelectDrained) return;
              if (!r.ok) assert.equal(r.error.code, ErrorCodes.Canceled);
            }
          });
          await s.waitFor(Promise.all([...producers, ...consumers]));
          assert.deepEqual(sorted(received), sorted(ids.flat()));
        },
      ),
      { numRuns: 150 },
    );
  });

  test('values arriving on several channels at once: every select takes exactly one, by priority', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.integer({ min: 2, max: 4 }),
        fc.array(fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 3 }),
        async (s, channelCount, bursts, consumerCount) => {
          const channels = Array.from({ length: channelCount }, () => unboundedChannel<number>());
          const written: number[] = [];
          const source = new Map<number, number>();
          const producer = (async () => {
            let next = 0;
            for (const burst of bursts) {
              await s.schedule(Promise.resolve(), 'burst');
              // One synchronous burst: several channels become ready before any select wakes up.
              channels.forEach((ch, i) => {
                if (burst[i]) {
                  written.push(next);
                  source.set(next, i);
                  ch.tryWrite(next++);
                }
              });
            }
            for (const ch of channels) ch.complete();
          })();
          const received: number[] = [];
          const consumers = Array.from({ length: consumerCount }, async (_, c) => {
            for (;;) {
              await s.schedule(Promise.resolve(), `consumer ${c}`);
              // select probes synchronously, so this is exactly what its probe sees.
              const firstReady = channels.findIndex((ch) => ch.count > 0);
              const taken: number[] = [];
              const r = await select(
                channels.map((ch, i) => channelCase(ch, (v: number) => taken.push(v), i)),
              );
              if (!r.ok) {
                assert.equal(r.error.code, ErrorCodes.SelectDrained);
                return;
              }
              assert.equal(taken.length, 1, 'one select, one value');
              if (firstReady >= 0)
                assert.equal(source.get(taken[0]!), firstReady, 'lowest priority number wins');
              received.push(...taken);
            }
          });
          await s.waitFor(Promise.all([producer, ...consumers]));
          assert.deepEqual(sorted(received), sorted(written));
        },
      ),
      { numRuns: 150 },
    );
  });

  test('no value is lost or duplicated through fan-in', async () => {
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), batchesArb, capacityArb, async (s, sizes, capacity) => {
        const { channels, ids } = makeChannels(sizes, capacity);
        const merged = fanIn(channels as ChannelReader<number>[]);
        const producers = ids.map(async (values, i) => {
          for (const v of values) {
            await s.schedule(Promise.resolve(), `write ${v}`);
            await channels[i]!.write(v);
          }
          channels[i]!.complete();
        });
        const received: number[] = [];
        const consumer = (async () => {
          for await (const v of merged) received.push(v);
        })();
        await s.waitFor(Promise.all([...producers, consumer]));
        assert.deepEqual(sorted(received), sorted(ids.flat()));
      }),
      { numRuns: 150 },
    );
  });

  test('competing readers with abandoned reads see every value of a channel exactly once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.nat({ max: 12 }),
        capacityArb,
        fc.integer({ min: 1, max: 3 }),
        async (s, count, capacity, readerCount) => {
          const ch = capacity ? boundedChannel<number>(capacity) : unboundedChannel<number>();
          const producer = (async () => {
            for (let i = 0; i < count; i++) {
              await s.schedule(Promise.resolve(), `write ${i}`);
              await ch.write(i);
            }
            ch.complete();
          })();
          const received: number[] = [];
          const readers = competingReaders(s, readerCount, ch, received);
          await s.waitFor(Promise.all([producer, ...readers]));
          // One FIFO buffer and direct hand-off: values leave in the order they were written.
          assert.deepEqual(
            received,
            Array.from({ length: count }, (_, i) => i),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  test('competing readers of a prioritized channel see every value once, highest lane first', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 3 }),
        async (s, priorities, readerCount) => {
          const ch = new PrioritizedChannel<number>();
          const producer = (async () => {
            for (const [i, p] of priorities.entries()) {
              await s.schedule(Promise.resolve(), `write ${i}@${p}`);
              await ch.write(i, p);
            }
            ch.complete();
          })();
          const received: number[] = [];
          const readers = competingReaders(s, readerCount, ch, received);
          await s.waitFor(Promise.all([producer, ...readers]));
          assert.deepEqual(
            sorted(received),
            priorities.map((_, i) => i),
          );
        },
      ),
      { numRuns: 150 },
    );
  });
});

// Throughput of the Hugo concurrency primitives. Not part of the test suite; run with
//   node --conditions=@odin/source --import tsx bench/hugo/run.ts
// Each figure is the best of a few rounds, so one slow round (GC, a busy neighbour) does not skew it.
import { performance } from 'node:perf_hooks';
import {
  boundedChannel,
  type Channel,
  channelCase,
  select,
  TaskQueue,
  TaskQueueChannelAdapter,
  unboundedChannel,
} from '@odin/hugo';

const ROUNDS = 3;

async function best(label: string, ops: number, run: () => Promise<void>): Promise<void> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < ROUNDS; i++) {
    const started = performance.now();
    await run();
    fastest = Math.min(fastest, performance.now() - started);
  }
  const perSecond = Math.round((ops / fastest) * 1_000);
  console.log(`${label.padEnd(48)} ${perSecond.toLocaleString('en-US').padStart(12)} ops/s`);
}

async function pingPong(channel: Channel<number>, n: number): Promise<void> {
  const producer = (async () => {
    for (let i = 0; i < n; i++) await channel.write(i);
    channel.complete();
  })();
  let received = 0;
  for (;;) {
    const next = channel.tryRead();
    if (next.ok) {
      received++;
      continue;
    }
    if (!(await channel.waitToRead())) break;
  }
  await producer;
  if (received !== n) throw new Error(`lost values: ${received}/${n}`);
}

async function selectLoop(n: number): Promise<void> {
  const a = unboundedChannel<number>();
  const b = unboundedChannel<number>();
  for (let i = 0; i < n / 2; i++) {
    a.tryWrite(i);
    b.tryWrite(i);
  }
  a.complete();
  b.complete();
  let received = 0;
  for (;;) {
    const r = await select<void>([
      channelCase(a, () => void received++),
      channelCase(b, () => void received++),
    ]);
    if (!r.ok) break;
  }
  if (received !== n) throw new Error(`lost values: ${received}/${n}`);
}

async function queueLeaseComplete(n: number): Promise<void> {
  const queue = new TaskQueue<number>({ capacity: n });
  for (let i = 0; i < n; i++) await queue.enqueue(i);
  for (let i = 0; i < n; i++) await (await queue.lease()).complete();
  await queue.dispose();
}

async function queueStreaming(n: number): Promise<void> {
  const queue = new TaskQueue<number>({ capacity: 1_024 });
  const producer = (async () => {
    for (let i = 0; i < n; i++) await queue.enqueue(i);
  })();
  for (let i = 0; i < n; i++) await (await queue.lease()).complete();
  await producer;
  await queue.dispose();
}

async function adapterPump(n: number): Promise<void> {
  const queue = new TaskQueue<number>({ capacity: n });
  const adapter = TaskQueueChannelAdapter.create(queue, { concurrency: 4 });
  for (let i = 0; i < n; i++) await queue.enqueue(i);
  for (let i = 0; i < n; i++) await (await adapter.reader.read()).complete();
  await adapter.dispose();
  await queue.dispose();
}

const started = performance.now();
console.log(`@odin/hugo throughput (node ${process.version}, best of ${ROUNDS})`);
await best('channel unbounded write/read', 300_000, () => pingPong(unboundedChannel<number>(), 300_000));
await best('channel bounded(64) write/read', 300_000, () => pingPong(boundedChannel<number>(64), 300_000));
await best('channel bounded(1) write/read', 100_000, () => pingPong(boundedChannel<number>(1), 100_000));
await best('select over 2 channels', 100_000, () => selectLoop(100_000));
await best('taskqueue enqueue, then lease+complete', 100_000, () => queueLeaseComplete(100_000));
await best('taskqueue streaming enqueue | lease+complete', 100_000, () => queueStreaming(100_000));
await best('taskqueue via channel adapter (4 pumps)', 50_000, () => adapterPump(50_000));
console.log(`total ${((performance.now() - started) / 1_000).toFixed(1)} s`);
